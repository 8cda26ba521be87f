"""assignment log: who took which conversation, after how long in the queue

Revision ID: 93d219d6cc4a
Revises: 996da121c8da
Create Date: 2026-11-28 12:04:20.067811

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import app.db  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '93d219d6cc4a'
down_revision: Union[str, Sequence[str], None] = '996da121c8da'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('waited_seconds', sa.Float(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_team'), ['team'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_team'))
        batch_op.drop_index(batch_op.f('ix_assignment_created_at'))
        batch_op.drop_index(batch_op.f('ix_assignment_conversation_id'))

    op.drop_table('assignment')
