"""One backup of a repository folder at a time; a dead holder's lock does not block."""

from __future__ import annotations

import io
import json
import os
import socket
import time
from pathlib import Path

import pytest

from repovault.backends.local import LocalBackend
from repovault.engine.backup import backup
from repovault.engine.lock import LockedError, locked
from repovault.engine.vault import Vault
from tests.engine.repos import tricky_repository


def test_a_second_backup_is_refused_while_one_runs(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    storage = LocalBackend(tmp_path / "store")
    with locked(storage, "r/"), pytest.raises(LockedError, match="being backed up"):
        backup(url=f"file://{source}", vault=Vault(storage, "r/"), cache=tmp_path / "c")
    assert backup(url=f"file://{source}", vault=Vault(storage, "r/"), cache=tmp_path / "c").created
    assert list(storage.list("r/lock.json")) == []


def test_a_dead_holders_lock_is_taken_over(tmp_path: Path) -> None:
    storage = LocalBackend(tmp_path / "store")
    for owner in (f"{socket.gethostname()}:999999999:abcd", "elsewhere:1:abcd"):
        storage.put(
            "r/lock.json",
            io.BytesIO(json.dumps({"owner": owner, "expires": time.time() + 60}).encode()),
        )
        if owner.startswith("elsewhere"):
            # another host's live lock is respected
            with pytest.raises(LockedError), locked(storage, "r/"):
                pass
        else:
            with locked(storage, "r/"):
                pass
    storage.put(
        "r/lock.json",
        io.BytesIO(json.dumps({"owner": "elsewhere:1:abcd", "expires": time.time() - 1}).encode()),
    )
    with locked(storage, "r/"):  # an expired lock is free
        pass


def test_a_lock_of_this_very_process_that_it_does_not_hold_is_stale(tmp_path: Path) -> None:
    """A lock left by this process (its delete failed: storage remounted read-only) does not
    block the next backup for a minute: it is taken over, and the result says so."""
    source = tricky_repository(tmp_path / "source")
    storage = LocalBackend(tmp_path / "store")
    mine = f"{socket.gethostname()}:{os.getpid()}:abcd"
    storage.put(
        "r/lock.json",
        io.BytesIO(json.dumps({"owner": mine, "expires": time.time() + 60}).encode()),
    )
    result = backup(url=f"file://{source}", vault=Vault(storage, "r/"), cache=tmp_path / "c")
    assert result.created
    assert any("stale" in w and mine in w for w in result.warnings), result.warnings
    assert list(storage.list("r/lock.json")) == []
    # While this process does hold it, the lock is respected.
    with (
        locked(storage, "r/"),
        pytest.raises(LockedError, match="this process"),
        locked(storage, "r/"),
    ):
        pass


class _ReadOnlyDeletes(LocalBackend):
    def delete(self, key: str) -> None:
        if key.endswith("lock.json"):
            raise OSError(30, "Read-only file system")
        super().delete(key)


def test_a_lock_that_cannot_be_deleted_does_not_fail_the_backup(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    storage = _ReadOnlyDeletes(tmp_path / "store")
    first = backup(url=f"file://{source}", vault=Vault(storage, "r/"), cache=tmp_path / "c")
    assert first.created
    assert list(storage.list("r/lock.json"))  # left behind
    # The next backup in this process is not blocked by it.
    again = backup(url=f"file://{source}", vault=Vault(storage, "r/"), cache=tmp_path / "c")
    assert not again.created
