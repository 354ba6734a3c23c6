"""Issue 12 §3: a snapshot's LFS objects go to the platform with its branches (`git lfs push
--all`, through the fake's LFS batch API); a platform that does not take them leaves a
warning that says so, and the rest of the restore goes on."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest

from repovault.backends.local import LocalBackend
from repovault.engine.backup import backup
from repovault.engine.git import lfs_available
from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.writes import writer_for
from repovault.runner.restore_platform import Wanted, restore_into
from tests.engine.repos import commit, git
from tests.providers.fake_writable import WritablePlatform
from tests.runner.platform_world import TOKEN, record_of

pytestmark = pytest.mark.skipif(not lfs_available(), reason="git-lfs is not installed")


@pytest.fixture
def with_lfs(tmp_path: Path) -> tuple[Vault, Manifest, dict[str, bytes]]:
    """A snapshot of a repository with two LFS files; their bytes by oid."""
    source = tmp_path / "lfs-source"
    git(tmp_path, "init", "-q", "-b", "main", str(source))
    git(source, "lfs", "install", "--local")
    git(source, "lfs", "track", "*.bin")
    files = {"a.bin": os.urandom(100_000), "b.bin": os.urandom(50_000)}
    commit(source, "lfs", {".gitattributes": (source / ".gitattributes").read_bytes(), **files})
    vault = Vault(LocalBackend(tmp_path / "lfs-store"), "r/")
    made = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "lfs-cache")
    assert made.snapshot is not None
    assert len(made.snapshot.content.lfs) == 2
    return vault, made.snapshot, {hashlib.sha256(b).hexdigest(): b for b in files.values()}


def _restore(platform: WritablePlatform, vault: Vault, manifest: Manifest) -> list[str]:
    record, lines = record_of()
    driver = 5 if platform.platform.gitea else 1
    access = Access(driver, "acme", platform.api_url, None, TOKEN)
    with httpx.Client() as client:
        wanted = Wanted(name="app", description="restored", private=True)
        restore_into(writer_for(access, client), vault, manifest, wanted, record)
    return [f"{level}: {message}" for level, message in lines]


@pytest.mark.parametrize("gitea", [False, True], ids=["github", "gitea"])
def test_the_lfs_objects_are_pushed(
    tmp_path: Path, with_lfs: tuple[Vault, Manifest, dict[str, bytes]], gitea: bool
) -> None:
    vault, manifest, objects = with_lfs
    with WritablePlatform(tmp_path / "target", gitea=gitea, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        lines = _restore(platform, vault, manifest)
        assert platform.platform.lfs["acme/app"] == objects
        assert "info: 2 LFS object(s) pushed" in lines
        assert not [line for line in lines if line.startswith("warning")]


def test_a_platform_without_lfs_is_named_in_the_log(
    tmp_path: Path, with_lfs: tuple[Vault, Manifest, dict[str, bytes]]
) -> None:
    vault, manifest, _ = with_lfs
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        platform.platform.lfs_enabled = False
        lines = _restore(platform, vault, manifest)
        assert platform.platform.lfs == {}
        (warning,) = [line for line in lines if line.startswith("warning")]
        assert warning.startswith("warning: the 2 LFS object(s) were not carried over: ")
        assert platform.state["acme/app"].refs()  # the branches went all the same
