"""quick replies on messages; business hours and offline messages on sites

Revision ID: b3c1d2e4f5a6
Revises: a750302de47f
Create Date: 2026-11-28 11:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b3c1d2e4f5a6'
down_revision: Union[str, Sequence[str], None] = 'a750302de47f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Buttons the bot offers under a message (clarification choices, "Talk to a person"):
    # stored so a reload or a second tab shows them too.
    with op.batch_alter_table('message') as batch:
        batch.add_column(sa.Column('quick_replies', sa.JSON(), nullable=False, server_default='[]'))
    # None = always open. {"timezone": "Europe/Paris", "days": {"mon": [["09:00", "17:30"]]},
    # "holidays": ["2026-12-25"]}
    with op.batch_alter_table('site') as batch:
        batch.add_column(sa.Column('business_hours', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('site') as batch:
        batch.drop_column('business_hours')
    with op.batch_alter_table('message') as batch:
        batch.drop_column('quick_replies')
