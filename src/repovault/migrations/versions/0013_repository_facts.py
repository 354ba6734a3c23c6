"""repository facts from the platforms' listings, and what the last good snapshot saw

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): on SQLite a batch would copy the table, and dropping the
    # old one would cascade to the rows that reference it (plan membership, vaults).
    add = op.add_column
    add(
        "repositories",
        sa.Column("is_fork", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    add(
        "repositories",
        sa.Column("is_archived", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    add("repositories", sa.Column("topics", sa.JSON(), nullable=False, server_default="[]"))
    add("repositories", sa.Column("language", sa.String(length=100), nullable=True))
    add("repositories", sa.Column("size_kb", sa.BigInteger(), nullable=True))
    add("repositories", sa.Column("default_branch", sa.String(length=400), nullable=True))
    add("repositories", sa.Column("description", sa.String(length=2000), nullable=True))
    add("repositories", sa.Column("last_push_at", sa.BigInteger(), nullable=True))
    op.create_index("ix_repositories_org_fork", "repositories", ["organization_id", "is_fork"])
    op.create_index(
        "ix_repositories_org_archived", "repositories", ["organization_id", "is_archived"]
    )
    op.create_index("ix_repositories_org_language", "repositories", ["organization_id", "language"])
    add("repository_vaults", sa.Column("signal_at", sa.BigInteger(), nullable=True))
    add(
        "repository_vaults",
        sa.Column("git_started_at", sa.BigInteger(), nullable=False, server_default="0"),
    )
    add(
        "repository_vaults",
        sa.Column("runs_without_git", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("repository_vaults", schema=None) as batch_op:
        batch_op.drop_column("runs_without_git")
        batch_op.drop_column("git_started_at")
        batch_op.drop_column("signal_at")
    with op.batch_alter_table("repositories", schema=None) as batch_op:
        batch_op.drop_index("ix_repositories_org_language")
        batch_op.drop_index("ix_repositories_org_archived")
        batch_op.drop_index("ix_repositories_org_fork")
        for column in (
            "last_push_at",
            "description",
            "default_branch",
            "size_kb",
            "language",
            "topics",
            "is_fork",
            "is_archived",
        ):
            batch_op.drop_column(column)
