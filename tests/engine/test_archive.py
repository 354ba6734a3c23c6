"""A snapshot taken away (issue 12 §2): staged and streamed as a `.tar.gz` that plain `tar`,
git and jq use. Real repositories, two snapshots (so the chain is rebuilt), encrypted and
not; the archive never holds a whole object in memory (blocks are bounded)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from repovault.backends.base import Backend
from repovault.backends.local import LocalBackend
from repovault.engine import archive
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.errors import CorruptObject
from repovault.engine.git import lfs_available
from repovault.engine.layout import wiki_prefix
from repovault.engine.manifest import Content, Manifest, snapshot_id
from repovault.engine.vault import Compression, Vault
from repovault.providers.metadata import stream_items
from tests.engine.repos import commit, git, state, tricky_repository

ISSUES = [{"number": n, "title": f"Issue {n}", "body": 'é "quoted"\nline'} for n in (1, 2, 3)]


def _document(items: list[object]) -> bytes:
    return ("[\n" + ",\n".join(json.dumps(i) for i in items) + "\n]\n").encode()


def _backed_up(backend: Backend, tmp_path: Path, password: str | None) -> tuple[Vault, Path, str]:
    source = tricky_repository(tmp_path / "source")
    vault = Vault(backend, "repositories/r/p/", password=password)
    options = BackupOptions(metadata={"issues.json": _document(ISSUES[:1])})
    backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache", options=options)
    commit(source, "more", {"more.txt": b"more\n"})
    options = BackupOptions(
        metadata={
            "issues.json": _document(ISSUES),
            "release-assets/7/app.zip": b"PK\x03\x04 an asset",
            "release-assets/7/notes.json": b'{"not": "an array"',
        }
    )
    result = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache", options=options)
    assert result.snapshot is not None
    assert result.snapshot.kind == "incremental"
    return vault, source, result.snapshot.id


def _unpack(blocks: list[bytes], folder: Path) -> Path:
    path = folder / "export.tar.gz"
    path.write_bytes(b"".join(blocks))
    with tarfile.open(path, "r:gz") as tar:
        tar.extractall(folder / "out", filter="data")
    return folder / "out"


@pytest.mark.parametrize("password", [None, "pass phrase"], ids=["plain", "encrypted"])
def test_an_archive_is_a_bare_repository_and_json_documents(
    backend: Backend, tmp_path: Path, password: str | None
) -> None:
    vault, source, snapshot = _backed_up(backend, tmp_path, password)
    staged = archive.stage(
        vault,
        vault.manifests(),
        snapshot,
        tmp_path / "stage",
        name="acme/app",
        read_items=stream_items,
        wiki=Vault(backend, wiki_prefix(vault.prefix), password=password),
    )
    assert staged.wiki is None  # no wiki was backed up
    assert staged.documents == {
        "issues.json": 3,
        "release-assets/7/app.zip": None,
        "release-assets/7/notes.json": None,
    }
    blocks = list(archive.tar_gz(tmp_path / "stage", "app-export"))
    assert max(len(b) for b in blocks) <= 2 * archive.CHUNK
    out = _unpack(blocks, tmp_path) / "app-export"

    bare = out / "repository.git"
    subprocess.run(["git", "-C", str(bare), "fsck", "--full"], check=True)
    refs, head, objects = state(source)
    assert state(bare) == (refs, head, objects)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(bare), str(clone)], check=True)
    assert (clone / "more.txt").read_bytes() == b"more\n"
    assert git(clone, "rev-parse", "HEAD") == git(source, "rev-parse", "HEAD")

    issues = json.loads((out / "metadata" / "issues.json").read_text("utf-8"))
    assert issues == ISSUES
    assert (out / "metadata/release-assets/7/app.zip").read_bytes() == b"PK\x03\x04 an asset"
    # An asset file is kept byte for byte, even one named .json.
    assert (out / "metadata/release-assets/7/notes.json").read_bytes() == b'{"not": "an array"'
    readme = (out / "README.md").read_text("utf-8")
    assert snapshot in readme
    assert "`issues.json` (3 items)" in readme
    assert "wiki.git" not in readme


def test_the_wiki_comes_along(backend: Backend, tmp_path: Path) -> None:
    vault, _source, snapshot = _backed_up(backend, tmp_path, None)
    wiki_source = tmp_path / "wiki"
    git(wiki_source.parent, "init", "-q", "-b", "main", str(wiki_source))
    commit(wiki_source, "home", {"Home.md": b"# Welcome\n"})
    wiki = Vault(backend, wiki_prefix(vault.prefix))
    backup(url=f"file://{wiki_source}", vault=wiki, cache=tmp_path / "wcache")
    staged = archive.stage(
        vault,
        vault.manifests(),
        snapshot,
        tmp_path / "stage",
        name="acme/app",
        read_items=stream_items,
        wiki=wiki,
    )
    assert staged.wiki is not None
    out = _unpack(list(archive.tar_gz(tmp_path / "stage", "x")), tmp_path) / "x"
    assert state(out / "wiki.git")[0] == state(wiki_source)[0]
    assert "wiki.git" in (out / "README.md").read_text("utf-8")
    # The wiki as it was then: a later wiki snapshot is passed over for an earlier time or
    # once the repository has a later snapshot.
    first_wiki = staged.wiki
    commit(wiki_source, "edit", {"Home.md": b"# Edited\n"})
    backup(url=f"file://{wiki_source}", vault=wiki, cache=tmp_path / "wcache")
    manifests = vault.manifests()
    newest = archive.wiki_snapshot(wiki, manifests, snapshot)
    assert newest is not None
    assert newest.id != first_wiki.id
    then = archive.wiki_snapshot(wiki, manifests, snapshot, until=first_wiki.created_at)
    assert then is not None
    assert then.id == first_wiki.id
    # A repository snapshot taken between the two wiki snapshots bounds the wiki.
    later = {**manifests, f"{first_wiki.id}~": manifests[snapshot]}
    before_next = archive.wiki_snapshot(wiki, later, snapshot)
    assert before_next is not None
    assert before_next.id == first_wiki.id
    assert archive.wiki_snapshot(wiki, manifests, snapshot, until=0) is None


def test_a_large_file_streams_in_bounded_blocks(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    with (folder / "blob").open("wb") as out:
        for _ in range(12):
            out.write(bytes(range(256)) * 4096)  # 12 MiB
    (folder / ("n" * 150)).write_bytes(b"a long name")  # a PAX header
    sizes = []
    total = 0
    gz = tmp_path / "big.tar.gz"
    with gz.open("wb") as out:
        for block in archive.tar_gz(folder, "root"):
            sizes.append(len(block))
            total += len(block)
            out.write(block)
    assert max(sizes) <= 2 * archive.CHUNK
    with tarfile.open(gz, "r:gz") as tar:
        names = tar.getnames()
        assert "root/" + "n" * 150 in names
        member = tar.extractfile("root/blob")
        assert member is not None
        assert len(member.read()) == 12 * 1024 * 1024
    assert subprocess.run(["tar", "tzf", str(gz)], capture_output=True, check=True).stdout


@pytest.mark.skipif(not lfs_available(), reason="git-lfs is not installed")
def test_lfs_objects_come_along_and_git_lfs_pulls_them(tmp_path: Path) -> None:
    """As docs/restore.md says: a clone of `repository.git` by its file:// URL, then
    `git lfs pull`, checks out every LFS file of the chain (both snapshots' objects)."""
    source = tmp_path / "source"
    git(tmp_path, "init", "-q", "-b", "main", str(source))
    git(source, "lfs", "install", "--local")
    git(source, "lfs", "track", "*.bin")
    attributes = (source / ".gitattributes").read_bytes()
    first, second = os.urandom(100_000), os.urandom(50_000)
    commit(source, "lfs", {".gitattributes": attributes, "a.bin": first})
    vault = Vault(LocalBackend(tmp_path / "store"), "r/")
    backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    commit(source, "more lfs", {"b.bin": second})
    result = backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    assert result.snapshot is not None
    folder = tmp_path / "stage"
    archive.stage(
        vault, vault.manifests(), result.snapshot.id, folder, name="r", read_items=stream_items
    )
    out = _unpack(list(archive.tar_gz(folder, "r")), tmp_path) / "r"
    clone = tmp_path / "clone"
    env = {**os.environ, "GIT_LFS_SKIP_SMUDGE": "1"}
    bare = (out / "repository.git").as_uri()
    subprocess.run(["git", "clone", "-q", bare, str(clone)], check=True, env=env)
    subprocess.run(["git", "-C", str(clone), "lfs", "pull"], check=True, capture_output=True)
    assert (clone / "a.bin").read_bytes() == first
    assert (clone / "b.bin").read_bytes() == second


def test_a_snapshot_with_documents_and_no_git_objects(tmp_path: Path) -> None:
    """An empty repository whose platform still had issues: an empty bare repository."""
    vault = Vault(LocalBackend(tmp_path / "store"), "r/")
    snapshot = snapshot_id()
    stored = vault.put_object(snapshot, "meta/issues.json", [_document(ISSUES)], Compression())
    content = Content(head=None, refs={}, object_count=0, metadata=["issues.json"])
    manifest = Manifest(
        id=snapshot,
        repository="https://example.com/empty.git",
        kind="full",
        parent=None,
        created_at=1,
        codec="zstd",
        level=2,
        encrypted=False,
        objects=[stored],
        content=content,
    )
    vault.write_manifest(manifest)
    archive.stage(
        vault, vault.manifests(), snapshot, tmp_path / "s", name="e", read_items=stream_items
    )
    out = _unpack(list(archive.tar_gz(tmp_path / "s", "e")), tmp_path) / "e"
    assert json.loads((out / "metadata" / "issues.json").read_text("utf-8")) == ISSUES
    assert git(out / "repository.git", "for-each-ref") == ""
    assert "HEAD: none" in (out / "README.md").read_text("utf-8")


def test_a_document_named_outside_the_archive_is_refused(tmp_path: Path) -> None:
    """A manifest is data: a document name climbing out of `metadata/` is damage."""
    vault, _source, snapshot = _backed_up(LocalBackend(tmp_path / "store"), tmp_path, None)
    manifests = vault.manifests()
    objects = manifests[snapshot].objects
    (at,) = [i for i, o in enumerate(objects) if o.name == "meta/issues.json"]
    objects[at] = dataclasses.replace(objects[at], name="meta/../../escaped.json")
    with pytest.raises(CorruptObject, match="escaped"):
        archive.stage(vault, manifests, snapshot, tmp_path / "s", name="x", read_items=stream_items)
    assert not (tmp_path / "escaped.json").exists()
