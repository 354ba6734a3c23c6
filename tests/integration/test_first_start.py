"""First start: admin from the settings or generated and printed once; default storage and
embedded worker; the secret key kept in the data folder so tokens survive a restart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from repovault.app import create_app
from repovault.config import Settings
from repovault.runtime import build_runtime


def _settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", password_time_cost=1, password_memory_kib=64, **extra
    )  # type: ignore[arg-type]


def test_generated_admin_is_printed_once_and_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = build_runtime(_settings(tmp_path))
    with TestClient(create_app(runtime=runtime)) as client:
        printed = capsys.readouterr().err
        match = re.search(r"email:\s+(\S+)\n\s+password:\s+(\S+)", printed)
        assert match, printed
        email, password = match.groups()
        reply = client.post("/account/login", json={"email": email, "password": password})
        assert reply.status_code == 200
        token = reply.json()["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        storages = client.post("/storages/getmany", json={}, headers=headers).json()
        assert storages["result"][0]["type"] == 1
        assert storages["result"][0]["isDefault"] is True
        workers = client.post("/workers/getmany", json={}, headers=headers).json()
        assert [w["name"] for w in workers["result"]] == ["embedded"]
        assert workers["result"][0]["isOnline"] is True
    runtime.db.dispose()

    # A restart prints no password, keeps the data and accepts the old token.
    again = build_runtime(_settings(tmp_path))
    with TestClient(create_app(runtime=again)) as client:
        assert "password:" not in capsys.readouterr().err
        reply = client.post("/storages/getmany", json={}, headers=headers)
        assert reply.status_code == 200
        assert reply.json()["totalEntries"] == 1
    again.db.dispose()
    key = tmp_path / "data" / "secret.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_admin_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPOVAULT_ADMIN_EMAIL", "root@example.org")
    monkeypatch.setenv("REPOVAULT_ADMIN_PASSWORD", "from-the-env")
    runtime = build_runtime(_settings(tmp_path))
    with TestClient(create_app(runtime=runtime)) as client:
        reply = client.post(
            "/account/login", json={"email": "root@example.org", "password": "from-the-env"}
        )
        assert reply.status_code == 200
    runtime.db.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    runtime = build_runtime(_settings(tmp_path))
    with TestClient(create_app(runtime=runtime)), runtime.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    runtime.db.dispose()
