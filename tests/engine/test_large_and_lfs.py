"""A 50 MB binary and LFS objects survive a round trip."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from repovault.backends.local import LocalBackend
from repovault.engine.backup import backup
from repovault.engine.git import lfs_available
from repovault.engine.restore import restore_to_directory
from repovault.engine.vault import Vault
from tests.engine.repos import commit, git, state


def test_fifty_megabyte_binary(tmp_path: Path) -> None:
    source = tmp_path / "source"
    git(tmp_path, "init", "-q", "-b", "main", str(source))
    blob = os.urandom(50 * 1024 * 1024)
    commit(source, "big", {"data/big.bin": blob})
    vault = Vault(LocalBackend(tmp_path / "store"), "r/", password="pw")
    result = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    assert result.snapshot is not None
    assert result.snapshot.stored_bytes > 50 * 1024 * 1024 * 0.99
    restore_to_directory(vault, tmp_path / "work", bare=False)
    assert (
        hashlib.sha256((tmp_path / "work" / "data" / "big.bin").read_bytes()).digest()
        == hashlib.sha256(blob).digest()
    )


@pytest.mark.skipif(
    not lfs_available(), reason="git-lfs is not installed (apt-get install git-lfs)"
)
def test_lfs_objects_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "source"
    git(tmp_path, "init", "-q", "-b", "main", str(source))
    git(source, "lfs", "install", "--local")
    git(source, "lfs", "track", "*.bin")
    first, second = os.urandom(300_000), os.urandom(200_000)
    commit(
        source, "lfs", {".gitattributes": (source / ".gitattributes").read_bytes(), "a.bin": first}
    )
    vault = Vault(LocalBackend(tmp_path / "store"), "r/")
    full = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    commit(source, "more lfs", {"b.bin": second})
    incremental = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    assert full.snapshot is not None
    assert incremental.snapshot is not None
    assert len(full.snapshot.content.lfs) == 1
    assert len(incremental.snapshot.content.lfs) == 1  # only the new object
    work = tmp_path / "work"
    restore_to_directory(vault, work, bare=False)
    assert (work / "a.bin").read_bytes() == first
    assert (work / "b.bin").read_bytes() == second
    assert state(work)[0] == state(source)[0]
