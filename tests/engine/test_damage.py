"""Damaged storage is detected by verify and refused by restore with a clear message; a
backup killed with SIGKILL leaves storage that verifies clean and a next run that succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repovault.backends.local import LocalBackend
from repovault.engine.backup import backup
from repovault.engine.crypto import DecryptionError
from repovault.engine.errors import EngineError, MissingManifest, MissingObject, TargetNotEmpty
from repovault.engine.lock import LockedError
from repovault.engine.restore import restore_to_directory
from repovault.engine.vault import DamagedSnapshot, Vault
from repovault.engine.verify import verify
from tests.engine.repos import commit, state, tricky_repository


def _two_snapshots(tmp_path: Path, password: str | None = None) -> tuple[Vault, Path, list[str]]:
    source = tricky_repository(tmp_path / "source")
    vault = Vault(LocalBackend(tmp_path / "store"), "r/", password=password)
    ids = []
    for i in range(2):
        commit(source, f"change {i}", {f"f{i}.bin": os.urandom(50_000)})
        result = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
        assert result.snapshot is not None
        ids.append(result.snapshot.id)
    return vault, tmp_path / "store" / "r" / "snapshots", ids


def _expect_damage(vault: Vault, tmp_path: Path, snapshot: str, words: str) -> None:
    report = verify(vault)
    assert not report.ok
    assert any(p.snapshot == snapshot and words in p.message for p in report.problems), report
    with pytest.raises(DamagedSnapshot, match=words):
        restore_to_directory(vault, tmp_path / "restored", snapshot=snapshot)
    assert not (tmp_path / "restored").exists()


def test_missing_object(tmp_path: Path) -> None:
    vault, snapshots, ids = _two_snapshots(tmp_path)
    (snapshots / ids[0] / "bundle").unlink()
    _expect_damage(vault, tmp_path, ids[0], "missing")
    with pytest.raises(DamagedSnapshot):  # the child depends on it
        restore_to_directory(vault, tmp_path / "child", snapshot=ids[1])


@pytest.mark.parametrize("password", [None, "secret"])
def test_flipped_byte(tmp_path: Path, password: str | None) -> None:
    vault, snapshots, ids = _two_snapshots(tmp_path, password)
    path = snapshots / ids[1] / "bundle"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    _expect_damage(vault, tmp_path, ids[1], "bundle")


def test_truncated_file(tmp_path: Path) -> None:
    vault, snapshots, ids = _two_snapshots(tmp_path)
    path = snapshots / ids[1] / "bundle"
    path.write_bytes(path.read_bytes()[:-100])
    _expect_damage(vault, tmp_path, ids[1], "bundle")


def test_missing_manifest(tmp_path: Path) -> None:
    vault, snapshots, ids = _two_snapshots(tmp_path)
    (snapshots / ids[1] / "manifest.json").unlink()
    report = verify(vault)
    assert [p.snapshot for p in report.problems] == [ids[1]]
    assert "manifest is missing" in report.problems[0].message
    (snapshots / ids[0] / "manifest.json").unlink()
    assert "missing" in " ".join(p.message for p in verify(vault).problems)


def test_wrong_password_is_refused(tmp_path: Path) -> None:
    vault, _, ids = _two_snapshots(tmp_path, "right")
    wrong = Vault(vault.storage, "r/", password="wrong")
    with pytest.raises(DecryptionError, match="wrong password"):
        restore_to_directory(wrong, tmp_path / "x", snapshot=ids[0])
    assert not verify(wrong).ok
    with pytest.raises(DecryptionError, match="password is needed"):
        Vault(vault.storage, "r/").manifests()


KILLED_BACKUP = """
import sys
from pathlib import Path
from repovault.engine.backup import backup, BackupOptions
from repovault.engine.codecs import Codec
from repovault.engine.vault import Compression, Vault
from repovault.backends.local import LocalBackend
root = Path(sys.argv[1])
vault = Vault(LocalBackend(root / "store"), "r/", password="pw")
backup(url=f"file://{root / 'source'}", vault=vault, cache=root / "cache",
       options=BackupOptions(kind="full", compression=Compression(Codec.ZSTD, 3)))
"""


def test_sigkill_mid_backup_leaves_a_clean_vault(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    vault = Vault(LocalBackend(tmp_path / "store"), "r/", password="pw")
    first = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    assert first.snapshot is not None
    commit(source, "big", {"big.bin": os.urandom(40 * 1024 * 1024)})
    process = subprocess.Popen([sys.executable, "-c", KILLED_BACKUP, str(tmp_path)])
    snapshots = tmp_path / "store" / "r" / "snapshots"
    deadline = time.monotonic() + 60
    # Kill it once it is writing the new snapshot's bundle.
    while time.monotonic() < deadline:
        partial = list((tmp_path / "store" / ".partial").glob("*"))
        if partial and partial[0].stat().st_size > 1024 * 1024:
            break
        time.sleep(0.01)
    else:
        process.kill()
        pytest.fail("the backup never started writing")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    report = verify(vault)
    assert report.ok, report.problems
    assert list(vault.manifests()) == [first.snapshot.id]
    second = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    assert second.created
    assert second.snapshot is not None
    # Nothing of the killed run is left: no partial file, no snapshot folder but the two.
    assert list((tmp_path / "store" / ".partial").iterdir()) == []
    assert sorted(p.name for p in snapshots.iterdir()) == sorted(
        [first.snapshot.id, second.snapshot.id]
    )
    restore_to_directory(vault, tmp_path / "restored")
    assert state(tmp_path / "restored") == state(source)
    assert verify(vault).ok


def test_newest_manifest_lost_fails_unless_an_earlier_snapshot_is_allowed(tmp_path: Path) -> None:
    vault, snapshots, ids = _two_snapshots(tmp_path)
    (snapshots / ids[1] / "manifest.json").unlink()
    # The newest snapshot is damaged: restoring "the newest" says so instead of quietly
    # restoring the one before it.
    with pytest.raises(MissingManifest, match=f"{ids[1]}.*manifest.json is missing") as caught:
        restore_to_directory(vault, tmp_path / "newest")
    assert caught.value.permanent
    assert not (tmp_path / "newest").exists()
    # Named explicitly, it fails the same way; allowing an earlier one does not change that.
    with pytest.raises(MissingManifest, match=ids[1]):
        restore_to_directory(vault, tmp_path / "named", snapshot=ids[1], allow_earlier=True)
    # Asked for, the newest intact earlier snapshot is restored, and the result says why.
    result = restore_to_directory(vault, tmp_path / "earlier", allow_earlier=True)
    assert result.snapshot.id == ids[0]
    assert result.passed_over == [ids[1]]
    assert any(ids[1] in w and ids[0] in w for w in result.warnings), result.warnings


def test_a_lost_parent_manifest_damages_its_children(tmp_path: Path) -> None:
    vault, snapshots, ids = _two_snapshots(tmp_path)
    (snapshots / ids[0] / "manifest.json").unlink()
    with pytest.raises(MissingManifest, match=f"{ids[1]}.*depends on {ids[0]}"):
        restore_to_directory(vault, tmp_path / "child", snapshot=ids[1])
    with pytest.raises(DamagedSnapshot, match="no intact snapshot"):
        restore_to_directory(vault, tmp_path / "any", allow_earlier=True)


def test_a_deleted_catalog_is_reported_and_rebuilt_by_verify(tmp_path: Path) -> None:
    vault, _, ids = _two_snapshots(tmp_path)
    (tmp_path / "store" / "r" / "catalog.json").unlink()
    report = verify(vault)
    assert [p.snapshot for p in report.problems] == ["catalog.json"], report
    assert "rebuilt" in report.problems[0].message
    assert vault.catalog() == set(ids)
    assert verify(vault).ok


def test_errors_say_whether_a_retry_can_help(tmp_path: Path) -> None:
    vault, snapshots, ids = _two_snapshots(tmp_path, "right")
    (snapshots / ids[1] / "bundle").unlink()
    with pytest.raises(MissingObject, match=f"snapshot {ids[1]}.*bundle.*missing") as missing:
        restore_to_directory(vault, tmp_path / "a")
    with pytest.raises(DecryptionError) as wrong:
        restore_to_directory(Vault(vault.storage, "r/", password="wrong"), tmp_path / "b")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("x")
    with pytest.raises(TargetNotEmpty) as not_empty:
        restore_to_directory(vault, tmp_path / "full", snapshot=ids[0])
    for caught in (missing, wrong, not_empty):
        assert isinstance(caught.value, EngineError)
        assert caught.value.permanent, caught.value
    assert not LockedError("busy").permanent


def test_a_backup_without_catalog_rebuilds_it_and_keeps_damage(tmp_path: Path) -> None:
    """With catalog.json deleted, a snapshot that lost its manifest is not swept as the
    leftovers of an interrupted backup; the backup rebuilds the catalog and says so."""
    vault, snapshots, ids = _two_snapshots(tmp_path)
    (tmp_path / "store" / "r" / "catalog.json").unlink()
    (snapshots / ids[0] / "manifest.json").unlink()
    source = tmp_path / "source"
    commit(source, "change 3", {"f3.bin": os.urandom(1000)})
    result = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    assert result.swept == []
    assert (snapshots / ids[0] / "bundle").exists()
    assert any("catalog.json was missing" in w for w in result.warnings), result.warnings
    assert result.snapshot is not None
    assert vault.catalog() == {ids[1], result.snapshot.id}
