"""canned responses: saved replies per site, shared, per team or personal

Revision ID: d5f2a9c3e1b4
Revises: c4e8f1a2b7d9
Create Date: 2026-12-06 13:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import app.db  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'd5f2a9c3e1b4'
down_revision: Union[str, Sequence[str], None] = 'c4e8f1a2b7d9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # scope ("shared" | "team:<id>" | "agent:<id>") is stored so the unique constraint
    # keeps a shortcut unique within its scope (NULL team/owner ids would not).
    # Private notes need no table: they are agent-only conversation events.
    op.create_table('canned_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('shortcut', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['agent.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['agent.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['agent.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'scope', 'shortcut', name='uq_canned_response_shortcut')
    )
    with op.batch_alter_table('canned_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_canned_response_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_canned_response_owner_id'), ['owner_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('canned_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_canned_response_owner_id'))
        batch_op.drop_index(batch_op.f('ix_canned_response_site_id'))

    op.drop_table('canned_response')
