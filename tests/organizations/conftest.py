"""The direct service tests' fixtures (see tests/tasks/rows.py)."""

from tests.tasks.rows import database_url, rows

__all__ = ["database_url", "rows"]
