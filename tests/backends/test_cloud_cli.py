"""The command line backs up to, verifies and restores from `azure://` and `gs://` storages
(Azurite and gcp-storage-emulator), credentials from the vendors' environment variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from repovault.cli import app
from tests.backends.servers_cloud import AZURITE_ACCOUNT, AZURITE_KEY
from tests.engine.repos import state, tricky_repository


@pytest.mark.parametrize("kind", ["azure", "gcs"])
def test_backup_verify_restore_through_a_cloud_url(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    if kind == "azure":
        endpoint = request.getfixturevalue("azurite")
        request.getfixturevalue("azure_container")
        monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", AZURITE_ACCOUNT)
        monkeypatch.setenv("AZURE_STORAGE_KEY", AZURITE_KEY)
        store = f"azure://repovault/cli-{tmp_path.name}"
    else:
        endpoint = request.getfixturevalue("gcs_server")
        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
        store = f"gs://repovault/cli-{tmp_path.name}"
    source = tricky_repository(tmp_path / "source")
    url = f"file://{source}"
    monkeypatch.setenv("REPOVAULT_PASSWORD", "cli pass")
    monkeypatch.setenv("REPOVAULT_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, [*args, "--storage", store, "--endpoint", endpoint])

    first = run("backup", url, "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout.strip().splitlines()[-1])["created"] is True
    assert run("verify", url).exit_code == 0
    restored = run("restore", url, "--to", str(tmp_path / "out.git"))
    assert restored.exit_code == 0, restored.output
    assert state(tmp_path / "out.git")[0] == state(source)[0]
