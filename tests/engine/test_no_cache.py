"""`keep_cache=False`: the mirror cache holds plain copies of repositories, so an encrypted
plan may keep none. The backup clones into the cache folder, removes it when it ends (even
when it fails), and still builds an incremental snapshot on its parent."""

from __future__ import annotations

from pathlib import Path

import pytest

from repovault.backends.local import LocalBackend
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.restore import restore_to_directory
from repovault.engine.vault import Vault
from tests.engine.repos import commit, state, tricky_repository


def test_no_plain_copy_stays_and_the_chain_stays_incremental(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    vault = Vault(LocalBackend(tmp_path / "storage"), "repositories/r/", password="secret")
    cache = tmp_path / "cache" / "r"
    options = BackupOptions(keep_cache=False)

    first = backup(url=f"file://{source}", vault=vault, cache=cache, options=options)
    assert first.snapshot is not None
    assert first.snapshot.kind == "full"
    assert not cache.exists()

    commit(source, "more", {"more.txt": b"more\n"})
    second = backup(url=f"file://{source}", vault=vault, cache=cache, options=options)
    assert second.snapshot is not None
    assert second.snapshot.kind == "incremental"
    assert second.snapshot.parent == first.snapshot.id
    assert not cache.exists()

    restore_to_directory(vault, tmp_path / "restored.git", snapshot=second.snapshot.id)
    assert state(tmp_path / "restored.git") == state(source)


def test_a_failed_backup_leaves_no_copy_either(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    vault = Vault(LocalBackend(tmp_path / "storage"), "repositories/r/", password="secret")
    cache = tmp_path / "cache" / "r"

    def interrupted(_what: str, _done: int) -> None:
        assert cache.exists()  # the clone is there while the snapshot is written
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        backup(
            url=f"file://{source}",
            vault=vault,
            cache=cache,
            options=BackupOptions(keep_cache=False),
            progress=interrupted,
        )
    assert not cache.exists()
