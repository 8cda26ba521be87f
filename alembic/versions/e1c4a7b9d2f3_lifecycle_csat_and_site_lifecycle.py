"""conversation lifecycle: CSAT on conversations, per-site inactivity and reopen settings

Revision ID: e1c4a7b9d2f3
Revises: 93d219d6cc4a
Create Date: 2026-11-28 12:20:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import app.db  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'e1c4a7b9d2f3'
down_revision: Union[str, Sequence[str], None] = '93d219d6cc4a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('csat_rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('csat_comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('csat_at', app.db.UTCDateTime(timezone=True), nullable=True))
    # No row for a site means the defaults from Settings.
    op.create_table('site_lifecycle',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('inactivity_minutes', sa.Integer(), nullable=False),
    sa.Column('reopen_hours', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('site_lifecycle')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('csat_at')
        batch_op.drop_column('csat_comment')
        batch_op.drop_column('csat_rating')
