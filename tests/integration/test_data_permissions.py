"""The data folder and everything secret in it are the service user's alone.

The SQLite database holds sealed credentials and password hashes, the secret key unseals
them, the mirror cache holds plain copies of repositories: none of it may be readable by
other local users, on a fresh install or on one made before these modes were set.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from repovault.app import create_app
from repovault.config import Settings
from repovault.runtime import build_runtime


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _start(data: Path) -> None:
    settings = Settings(data_dir=data, password_time_cost=1, password_memory_kib=64)
    runtime = build_runtime(settings)
    with TestClient(create_app(runtime=runtime)):
        pass
    runtime.db.dispose()


@pytest.fixture(autouse=True)
def _lenient_umask() -> object:
    old = os.umask(0o022)  # the usual default, under which files are created 0644
    yield
    os.umask(old)


def test_a_fresh_data_folder_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _start(data)
    assert _mode(data) == 0o700
    for name in ("repovault.db", "secret.key"):
        assert _mode(data / name) == 0o600, name
    for extra in data.glob("repovault.db-*"):  # WAL and shared-memory files
        assert _mode(extra) == 0o600, extra.name


def test_an_existing_install_is_tightened_on_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _start(data)
    data.chmod(0o755)
    (data / "repovault.db").chmod(0o644)
    (data / "secret.key").chmod(0o644)
    _start(data)
    assert _mode(data) == 0o700
    assert _mode(data / "repovault.db") == 0o600
    assert _mode(data / "secret.key") == 0o600
