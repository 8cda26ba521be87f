"""pre-chat form per site: Site.prechat (JSON; null: no form)

The widget theme lives in the existing Site.theme JSON column; the pre-chat answers in
the existing context JSON of visitor sessions and conversations, so only the site's form
needs a column.

Revision ID: f8a1c5d2e9b7
Revises: e7b3f9a1c2d4
Create Date: 2026-12-06 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import app.db  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'f8a1c5d2e9b7'
down_revision: Union[str, Sequence[str], None] = 'e7b3f9a1c2d4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prechat', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('prechat')
