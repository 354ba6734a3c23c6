"""Round trips: back up tricky repositories through both backends, with every codec and
with and without encryption, change them between snapshots (new commits, deleted and
force-pushed branches), and restore every snapshot exactly: same refs, same HEAD, same
objects, `git fsck --full` clean."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog

from repovault.backends.base import Backend
from repovault.backends.local import LocalBackend
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.codecs import Codec
from repovault.engine.restore import restore_to_directory
from repovault.engine.vault import Compression, Vault
from repovault.engine.verify import verify
from tests.engine.repos import commit, git, state, tricky_repository


@pytest.mark.parametrize("codec", list(Codec), ids=lambda c: c.name.lower())
@pytest.mark.parametrize("password", [None, "pass phrase"], ids=["plain", "encrypted"])
def test_every_snapshot_restores_exactly(
    backend: Backend, tmp_path: Path, codec: Codec, password: str | None
) -> None:
    source = tricky_repository(tmp_path / "source")
    url = f"file://{source}"
    vault = Vault(backend, "repositories/tricky/", password=password)
    options = BackupOptions(compression=Compression(codec, 3 if codec else 1))
    expected = {}

    def snap(kind: str) -> str:
        result = backup(
            url=url,
            vault=vault,
            cache=tmp_path / "cache",
            options=BackupOptions(kind=kind, compression=options.compression),
        )
        assert result.created
        assert result.snapshot is not None
        expected[result.snapshot.id] = state(source)
        return result.snapshot.kind

    assert snap("incremental") == "full"  # nothing to build on yet
    commit(source, "more", {"more.txt": b"more\n"})
    git(source, "branch", "-D", "gh-pages")  # a deleted branch
    assert snap("incremental") == "incremental"
    git(source, "checkout", "-q", "main")
    git(source, "reset", "-q", "--hard", "HEAD~1")  # force-pushed backwards
    commit(source, "rewritten", {"new.txt": b"rewritten history\n"})
    git(source, "symbolic-ref", "HEAD", "refs/heads/main")
    assert snap("differential") == "differential"
    git(source, "tag", "-d", "light")  # refs change, no new object
    assert snap("incremental") == "incremental"

    manifests = vault.manifests()
    assert len(manifests) == 4
    for snapshot, (refs, head, objects) in expected.items():
        target = tmp_path / f"restored-{snapshot}"
        restore_to_directory(vault, target, snapshot=snapshot, bare=True)
        restored_refs, restored_head, restored_objects = state(target)
        assert restored_refs == refs
        assert restored_head == head
        assert restored_objects == objects
        git(target, "fsck", "--full", "--no-dangling")
    steps: list[tuple[int, int]] = []
    assert verify(vault, on_step=lambda done, total: steps.append((done, total))).ok
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]  # reported as each snapshot is rebuilt


def test_unchanged_repository_writes_nothing(backend: Backend, tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    vault = Vault(backend, "r/")
    first = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    before = sorted(i.key for i in backend.list("r/snapshots/"))
    again = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    assert not again.created
    assert again.snapshot is not None
    assert first.snapshot is not None
    assert again.snapshot.id == first.snapshot.id
    assert sorted(i.key for i in backend.list("r/snapshots/")) == before


def test_empty_repository_and_working_clone(tmp_path: Path) -> None:
    empty = tmp_path / "empty.git"
    git(tmp_path, "init", "-q", "--bare", str(empty))
    vault = Vault(LocalBackend(tmp_path / "store"), "empty/")
    result = backup(url=f"file://{empty}", vault=vault, cache=tmp_path / "cache")
    assert result.snapshot is not None
    assert result.snapshot.content.refs == {}
    restore_to_directory(vault, tmp_path / "restored-empty")
    assert state(tmp_path / "restored-empty")[0] == {}
    again = backup(url=f"file://{empty}", vault=vault, cache=tmp_path / "cache")
    assert not again.created  # an unborn HEAD is no change

    source = tricky_repository(tmp_path / "source")
    vault = Vault(LocalBackend(tmp_path / "store"), "tricky/")
    backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache2")
    work = tmp_path / "work"
    restore_to_directory(vault, work, bare=False)
    assert (work / "dev.txt").read_bytes() == b"dev\n"
    assert (work / "link").is_symlink()
    assert (work / "café ☕.txt").read_bytes() == b"non-ascii\n"
    assert git(work, "status", "--porcelain") == ""
    assert state(work)[0] == state(source)[0]


def test_long_chain_restores_in_one_pass_even_with_repeated_objects(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    url = f"file://{source}"
    vault = Vault(LocalBackend(tmp_path / "store"), "r/")
    expected = {}

    def snap() -> None:
        result = backup(url=url, vault=vault, cache=tmp_path / "cache")
        assert result.snapshot is not None
        expected[result.snapshot.id] = state(source)

    snap()
    git(source, "checkout", "-q", "-b", "topic", "main")
    topic = commit(source, "topic work", {"topic.txt": b"topic\n"})
    snap()
    git(source, "checkout", "-q", "main")
    git(source, "branch", "-D", "topic")
    snap()  # refs only
    git(source, "branch", "topic", topic)  # the same objects come back in a later snapshot
    commit(source, "main moves", {"main.txt": b"main\n"})
    snap()
    for i in range(3):
        commit(source, f"more {i}", {f"more-{i}.txt": str(i).encode()})
        snap()
    with structlog.testing.capture_logs() as logs:
        for snapshot, (refs, head, objects) in expected.items():
            target = tmp_path / f"restored-{snapshot}"
            restore_to_directory(vault, target, snapshot=snapshot)
            assert state(target) == (refs, head, objects)
            git(target, "fsck", "--full", "--no-dangling")
    assert not [e for e in logs if "spliced" in e["event"]], logs
