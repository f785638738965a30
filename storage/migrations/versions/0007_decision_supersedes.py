"""gate decisions: the one each supersedes (so the standing one is derivable) and the tasks a
confirmed go was taken with

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
# Chained after 0005; another branch adds 0006 (the lead re-chains at merge).
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Decisions recorded before keep supersedes NULL: each then stands until a later one.
    with op.batch_alter_table('gate_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supersedes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('missing', sa.String(), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('gate_decision', schema=None) as batch_op:
        batch_op.drop_column('missing')
        batch_op.drop_column('supersedes')
