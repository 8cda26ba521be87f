"""proactive triggers and their stats

Revision ID: c7e5a1f0d9b2
Revises: b3c1d2e4f5a6
Create Date: 2026-11-28 11:57:36.230777

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import app.db  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'c7e5a1f0d9b2'
down_revision: Union[str, Sequence[str], None] = 'b3c1d2e4f5a6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Triggers per site; kind and stat kind are plain strings (no enum type to alter
    # when a kind is added). Stats are unique per (trigger, session, kind, visit) so
    # the widget's retries count once; both cascade with their trigger and session.
    op.create_table('proactive_trigger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('pages', sa.JSON(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('cap_count', sa.Integer(), nullable=False),
    sa.Column('cap_days', sa.Integer(), nullable=False),
    sa.Column('cooldown_minutes', sa.Integer(), nullable=False),
    sa.Column('session_max', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('proactive_trigger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proactive_trigger_site_id'), ['site_id'], unique=False)

    op.create_table('trigger_stat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trigger_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('visit', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['visitor_session.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trigger_id'], ['proactive_trigger.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('trigger_id', 'session_id', 'kind', 'visit', name='uq_trigger_stat_once')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('trigger_stat')
    with op.batch_alter_table('proactive_trigger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proactive_trigger_site_id'))

    op.drop_table('proactive_trigger')
