"""command ids: every change names the command that made it; undo works per command

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows written before this revision keep NULL: they belong to no command and undo leaves them.
_TABLES = ('task_event', 'wave_move', 'gate_decision')


def upgrade() -> None:
    op.create_table('command',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('command_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('verb', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('undoes', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('undoes')
    )
    with op.batch_alter_table('command', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_command_command_id'), ['command_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_command_actor'), ['actor'], unique=False)
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('command_id', sqlmodel.sql.sqltypes.AutoString(),
                                          nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_command_id'), ['command_id'],
                                  unique=False)


def downgrade() -> None:
    for table in reversed(_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_command_id'))
            batch_op.drop_column('command_id')
    with op.batch_alter_table('command', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_command_actor'))
        batch_op.drop_index(batch_op.f('ix_command_command_id'))
    op.drop_table('command')
