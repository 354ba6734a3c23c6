"""organization SSH keys: git over SSH with a sealed private key and pinned host keys

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no batch): SQLite would otherwise copy the table, and dropping the
    # old one cascades to every row that references an organization.
    op.add_column("organizations", sa.Column("ssh_key_sealed", sa.Text(), nullable=True))
    op.add_column("organizations", sa.Column("ssh_known_hosts", sa.Text(), nullable=True))
    op.add_column(
        "organizations",
        sa.Column("ssh_accept_new", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("ssh_accept_new")
        batch.drop_column("ssh_known_hosts")
        batch.drop_column("ssh_key_sealed")
