"""task batches

A batch is a set of tasks queued by one call (an organization restored at a point in time)
that run at most `batch_limit` at a time, as a plan's tasks run at most `maxConcurrentTasks`.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 04:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column("batch_limit", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_tasks_batch_status", ["batch_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_batch_status")
        batch_op.drop_column("batch_limit")
        batch_op.drop_column("batch_id")
