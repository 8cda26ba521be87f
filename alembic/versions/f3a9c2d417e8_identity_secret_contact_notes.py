"""identity verification: the site's identity secret; contacts unique per user id, notes

Revision ID: f3a9c2d417e8
Revises: e1c4a7b9d2f3
Create Date: 2026-11-28 13:10:00.000000

"""
import secrets
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import app.db  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'f3a9c2d417e8'
down_revision: Union[str, Sequence[str], None] = 'e1c4a7b9d2f3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_secret', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    # Every existing site gets its own random secret (admins read it in the console).
    conn = op.get_bind()
    site = sa.table('site', sa.column('id', sa.Integer), sa.column('identity_secret', sa.String))
    for (site_id,) in conn.execute(sa.select(site.c.id)).all():
        conn.execute(
            site.update().where(site.c.id == site_id).values(
                identity_secret="ids_" + secrets.token_urlsafe(32)
            )
        )
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.alter_column('identity_secret', existing_type=sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False)

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=True))
    contact = sa.table('contact', sa.column('created_at', sa.DateTime), sa.column('updated_at', sa.DateTime))
    conn.execute(contact.update().values(updated_at=contact.c.created_at))
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=app.db.UTCDateTime(timezone=True), nullable=False)
        # One contact per verified user id and site (NULLs, the unverified, never clash).
        batch_op.create_unique_constraint('uq_contact_site_external', ['site_id', 'external_id'])

    op.create_table('contact_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['agent.id'], ),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_note_contact_id'), ['contact_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('contact_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_note_contact_id'))
    op.drop_table('contact_note')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_constraint('uq_contact_site_external', type_='unique')
        batch_op.drop_column('updated_at')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('identity_secret')
