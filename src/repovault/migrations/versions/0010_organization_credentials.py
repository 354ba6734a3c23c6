"""organization credentials: a token file, a GitHub App

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("token_file", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("github_app_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("github_app_sealed")
        batch.drop_column("token_file")
