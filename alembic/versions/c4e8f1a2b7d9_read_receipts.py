"""read receipts: how far the visitor and the agents have read each conversation

Revision ID: c4e8f1a2b7d9
Revises: a8d1e6b3c5f0
Create Date: 2026-12-06 12:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c4e8f1a2b7d9'
down_revision: Union[str, Sequence[str], None] = 'a8d1e6b3c5f0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Sequence numbers of the conversation: everything up to them has been read.
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visitor_read_seq', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('agent_read_seq', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('agent_read_seq')
        batch_op.drop_column('visitor_read_seq')
