"""eval runs and their reports

Revision ID: 996da121c8da
Revises: dae4e0a760e7
Create Date: 2026-11-28 12:03:36.733670

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import app.db  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '996da121c8da'
down_revision: Union[str, Sequence[str], None] = 'dae4e0a760e7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Eval runs started from the console. Status is a plain string (no enum type to
    # alter); the full report sits in a table of its own so that listing runs never
    # loads it, and goes with its run.
    op.create_table('eval_run',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('suite', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('include_drafts', sa.Boolean(), nullable=False),
    sa.Column('drafts', sa.JSON(), nullable=False),
    sa.Column('quick', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('heartbeat_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pass_rate', sa.Float(), nullable=True),
    sa.Column('cases_failed', sa.Integer(), nullable=True),
    sa.Column('gate_passed', sa.Boolean(), nullable=True),
    sa.Column('baseline_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('is_baseline', sa.Boolean(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['started_by_id'], ['agent.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('eval_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_run_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_eval_run_status'), ['status'], unique=False)

    op.create_table('eval_report',
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['eval_run.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('eval_report')
    with op.batch_alter_table('eval_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_run_status'))
        batch_op.drop_index(batch_op.f('ix_eval_run_created_at'))

    op.drop_table('eval_run')
