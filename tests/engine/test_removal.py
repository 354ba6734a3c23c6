"""Removing a repository's backup data: every vault under its prefix emptied under its lock,
never while a backup holds it, and nothing of another repository touched."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from repovault.backends.base import Backend
from repovault.engine.backup import backup
from repovault.engine.layout import lock_key, repository_prefix, vault_prefix, wiki_prefix
from repovault.engine.lock import LockedError
from repovault.engine.removal import remove_data, vault_of
from repovault.engine.vault import Vault
from tests.engine.repos import tricky_repository


def _keys(storage: Backend, prefix: str) -> list[str]:
    return sorted(info.key for info in storage.list(prefix))


def _foreign_lock(storage: Backend, vault: str) -> None:
    """A live lock of another host: a backup of that vault is running elsewhere."""
    body = {"owner": "elsewhere:1:abcd", "expires": time.time() + 600}
    storage.put(lock_key(vault), io.BytesIO(json.dumps(body).encode()))


def test_vault_of_finds_the_vault_folder() -> None:
    assert vault_of("repositories/r/p/snapshots/s1/bundle") == "repositories/r/p/"
    assert vault_of("repositories/r/p/wiki/snapshots/s1/manifest.json") == "repositories/r/p/wiki/"
    assert vault_of("repositories/r/p/catalog.json") == "repositories/r/p/"
    assert vault_of("repositories/r/stray") is None


def test_removal_waits_for_a_running_backup_then_deletes_every_vault(
    backend: Backend, tmp_path: Path
) -> None:
    source = tricky_repository(tmp_path / "source")
    vault = vault_prefix("r1", "p1")
    for prefix in (vault, wiki_prefix(vault), vault_prefix("r2", "p1")):
        backup(url=f"file://{source}", vault=Vault(backend, prefix), cache=tmp_path / "c")
    kept = _keys(backend, repository_prefix("r2"))
    before = _keys(backend, vault)
    _foreign_lock(backend, vault)

    with pytest.raises(LockedError, match="being backed up"):
        remove_data(backend, repository_prefix("r1"))
    # The vault a backup holds is untouched (its wiki, a vault of its own, may already be gone).
    assert [k for k in before if not k.startswith(wiki_prefix(vault))] == [
        k for k in _keys(backend, vault) if k != lock_key(vault)
    ]

    backend.delete(lock_key(vault))  # that backup ended
    progress: list[int] = []
    removed = remove_data(backend, repository_prefix("r1"), removed=progress.append)
    assert removed > 0
    assert progress[-1] == removed
    assert _keys(backend, repository_prefix("r1")) == []
    assert _keys(backend, repository_prefix("r2")) == kept


def test_removal_of_a_prefix_with_no_data_deletes_nothing(backend: Backend) -> None:
    assert remove_data(backend, repository_prefix("never-backed-up")) == 0
