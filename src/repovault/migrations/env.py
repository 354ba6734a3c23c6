"""Alembic environment: runs against the connection handed over by repovault.migrate."""

from __future__ import annotations

from alembic import context

import repovault.models  # noqa: F401  (fills Base.metadata)
from repovault.db import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
