"""The console tests run on SQLite only (the pages call the same pipeline as the API, which
the API tests cover on both databases), against a real server started here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.client.conftest import server_url

__all__ = ["server_url"]


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    target = tmp_path / "repovault.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"
