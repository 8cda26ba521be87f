"""teams, agent availability and capacity, routing rules, labels and queue times

Revision ID: dae4e0a760e7
Revises: c7e5a1f0d9b2
Create Date: 2026-11-28 12:02:04.416892

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import app.db  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'dae4e0a760e7'
down_revision: Union[str, Sequence[str], None] = 'c7e5a1f0d9b2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Rules are evaluated by position; the default (is_default) has no conditions and
    # runs when no other rule matches.
    op.create_table('routing_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('routing_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rule_position'), ['position'], unique=False)

    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('business_hours', sa.JSON(), nullable=True),
    sa.Column('assignment', sa.String(length=20), nullable=False),
    sa.Column('answer_timeout_seconds', sa.Integer(), nullable=False),
    sa.Column('rr_last_agent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_key'), ['key'], unique=True)

    op.create_table('team_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'agent_id')
    )
    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_member_agent_id'), ['agent_id'], unique=False)

    with op.batch_alter_table('agent', schema=None) as batch_op:
        # Existing agents start offline: routing gives nobody work until they say so.
        batch_op.add_column(sa.Column('availability', sa.String(length=10), nullable=False, server_default='offline'))
        batch_op.add_column(sa.Column('availability_auto', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), nullable=False, server_default='3'))
        batch_op.add_column(sa.Column('last_seen_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_active_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_assigned_at', app.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('labels', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('queued_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', app.db.UTCDateTime(timezone=True), nullable=True))
    # Conversations already waiting keep their place in the queue.
    op.execute("UPDATE conversation SET queued_at = updated_at WHERE status = 'queued'")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('queued_at')
        batch_op.drop_column('labels')

    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.drop_column('last_assigned_at')
        batch_op.drop_column('last_active_at')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('capacity')
        batch_op.drop_column('availability_auto')
        batch_op.drop_column('availability')

    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_member_agent_id'))

    op.drop_table('team_member')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_key'))

    op.drop_table('team')
    with op.batch_alter_table('routing_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rule_position'))

    op.drop_table('routing_rule')
