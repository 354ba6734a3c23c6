"""One backup of a repository folder at a time; a dead holder's lock does not block."""

from __future__ import annotations

import io
import json
import socket
import time
from pathlib import Path

import pytest

from repovault.engine.backup import backup
from repovault.engine.lock import LockedError, locked
from repovault.engine.vault import Vault
from repovault.storage.local import LocalBackend
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
