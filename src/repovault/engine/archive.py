"""A snapshot taken away: one `.tar.gz` a person uses with git and jq alone, no repovault.

    stage(vault, manifests, snapshot, folder, wiki=...)   the archive's content on disk:
      repository.git/        the bare repository, rebuilt from the chain as a restore does
                             (every ref and object; LFS objects in lfs/objects/)
      wiki.git/              the wiki, when one was backed up
      metadata/<name>        each document a proper JSON array (one item a line), in the
                             platform's own format; release asset files as they were
      README.md              what is where, and how to use it
    tar_gz(folder, root)     the staged folder as a gzip-compressed tar, as a stream of blocks
    tar_gz_parts(root, parts)  many parts (small files, staged folders) as one such stream,
                             each pulled once the one before is in it (an organization's
                             export: one repository staged at a time); `folder_name` names
                             each repository's folder safely for any file system

Memory stays constant whatever the size: the chain streams into `git index-pack`, documents
are rewritten item by item, and the tar is produced block by block (headers from `tarfile`,
file bodies read in 1 MiB chunks, gzip by one `zlib` stream), pulled by the storage's `put`.
The disk of the worker holds the staged folder meanwhile, as it holds a restore's.

Why gzip rather than zstd: every system's `tar` reads `.tar.gz` with no extra tool, and most
of the bytes are git packs that are compressed already, where zstd would gain nothing.
"""

from __future__ import annotations

import json
import os
import re
import tarfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from repovault.engine import git as g
from repovault.engine.errors import CorruptObject, NoSnapshot
from repovault.engine.manifest import Manifest
from repovault.engine.restore import materialize
from repovault.engine.vault import Vault

CHUNK = 1024 * 1024
BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE
GZIP_LEVEL = 6
REPOSITORY = "repository.git"
WIKI = "wiki.git"
METADATA = "metadata"


@dataclass
class Staged:
    """What was staged: the snapshot, the wiki snapshot (if any), the documents written."""

    snapshot: Manifest
    wiki: Manifest | None = None
    documents: dict[str, int | None] = field(default_factory=dict)  # name -> items


def wiki_snapshot(
    wiki: Vault, manifests: dict[str, Manifest], snapshot: str, until: int | None = None
) -> Manifest | None:
    """The wiki as it was with `snapshot`: a backup writes the wiki just after the
    repository, so the newest wiki snapshot before the repository's next snapshot (and, for
    a point in time, taken at or before `until`, unix ms)."""
    later = sorted(m for m in manifests if m > snapshot)
    bound = later[0] if later else None
    found = wiki.manifests()
    candidates = [
        m
        for m, manifest in found.items()
        if (bound is None or m < bound) and (until is None or manifest.created_at <= until)
    ]
    return found[max(candidates)] if candidates else None


def _bare(vault: Vault, manifests: dict[str, Manifest], manifest: Manifest, path: Path) -> None:
    g.Git().run(["init", "--quiet", "--bare", str(path)])
    materialize(vault, manifest, manifests, path)


# How a stored document's items are read (the providers' reader, given by the caller: the
# engine imports no provider).
ItemReader = Callable[[Iterable[bytes]], Iterator[Any]]


def _document(
    vault: Vault, manifest: Manifest, name: str, target: Path, read_items: ItemReader
) -> int | None:
    """One document into `target`: a JSON document as a JSON array with one item a line
    (read item by item, so every line is checked to be JSON), anything else (a release's
    asset files, in folders below, whatever their names) byte for byte as stored."""
    stored = manifest.object(f"meta/{name}")
    assert stored is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    blocks = vault.read_object(manifest, stored)
    with target.open("wb") as out:
        if "/" in name or not name.endswith(".json"):
            for block in blocks:
                out.write(block)
            return None
        count = 0
        out.write(b"[")
        for item in read_items(blocks):
            out.write(b"\n" if count == 0 else b",\n")
            out.write(json.dumps(item, ensure_ascii=False).encode())
            count += 1
        out.write(b"\n]\n")
        return count


README = """# {name}: snapshot {snapshot}

Exported by repovault from the snapshot {snapshot} of {repository}
(taken {taken} UTC). Everything here is usable without repovault.

- `repository.git/`: the repository as a bare git repository, with every ref of the
  snapshot (branches, tags, and the platform's own refs such as pull request heads).
  Clone it: `git clone repository.git app` (HEAD: {head}).
  LFS objects, if any, are in `repository.git/lfs/objects/`; git-lfs reads them when the
  clone is made by the file:// URL:
  `GIT_LFS_SKIP_SMUDGE=1 git clone "file://$PWD/repository.git" app && cd app && git lfs pull`.
{wiki}- `metadata/`: the platform's metadata in its own JSON format, one file per kind, each a
  JSON array (one item a line): {documents}.
  Release asset files are in `metadata/release-assets/<release>/`.
  For example: `jq -r '.[] | "#\\(.number) \\(.title)"' metadata/issues.json`.

Checked when this archive was made: git hashed every object and found every ref complete.
"""


def _readme(staged: Staged, name: str) -> str:
    manifest = staged.snapshot
    taken = datetime.fromtimestamp(manifest.created_at / 1000, UTC).strftime("%Y-%m-%d %H:%M")
    wiki = (
        f"- `wiki.git/`: the wiki, a bare git repository of its own (snapshot "
        f"{staged.wiki.id}): `git clone wiki.git wiki`.\n"
        if staged.wiki
        else ""
    )
    listed = [
        f"`{doc}` ({items} item{'' if items == 1 else 's'})"
        for doc, items in sorted(staged.documents.items())
        if items is not None
    ]
    return README.format(
        name=name,
        snapshot=manifest.id,
        repository=manifest.repository,
        taken=taken,
        head=manifest.content.head or "none",
        wiki=wiki,
        documents=", ".join(listed) or "none in this snapshot",
    )


def stage(
    vault: Vault,
    manifests: dict[str, Manifest],
    snapshot: str,
    folder: Path,
    *,
    name: str,
    read_items: ItemReader,
    wiki: Vault | None = None,
    until: int | None = None,
) -> Staged:
    """The archive's content in `folder` (new or empty): see the module's docstring."""
    manifest = manifests.get(snapshot)
    if manifest is None:
        raise NoSnapshot(f"no snapshot {snapshot}")
    staged = Staged(manifest)
    folder.mkdir(parents=True, exist_ok=True)
    _bare(vault, manifests, manifest, folder / REPOSITORY)
    if wiki is not None:
        staged.wiki = wiki_snapshot(wiki, manifests, snapshot, until)
        if staged.wiki is not None:
            _bare(wiki, wiki.manifests(), staged.wiki, folder / WIKI)
    for stored in manifest.objects:
        if stored.name.startswith("meta/"):
            document = stored.name.removeprefix("meta/")
            if any(part in ("", ".", "..") for part in document.split("/")):
                raise CorruptObject(f"snapshot {snapshot}: a document named {document!r}")
            target = folder / METADATA / document
            staged.documents[document] = _document(vault, manifest, document, target, read_items)
    (folder / "README.md").write_text(_readme(staged, name), encoding="utf-8")
    return staged


# The tar stream ---------------------------------------------------------------------------


def _entries(folder: Path) -> Iterator[Path]:
    """Every folder and file below `folder`, parents first, in a stable order."""
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        base = Path(root)
        for child in dirs:
            yield base / child
        for child in sorted(files):
            yield base / child


def _header(path: Path, arcname: str) -> tuple[bytes, int]:
    """The tar header(s) of one entry and the size of the body that follows."""
    status = path.lstat()
    info = tarfile.TarInfo(arcname)
    info.mtime = int(status.st_mtime)
    info.mode = status.st_mode & 0o7777
    if path.is_symlink():
        info.type, info.linkname = tarfile.SYMTYPE, os.readlink(path)
    elif path.is_dir():
        info.type = tarfile.DIRTYPE
    else:
        info.size = status.st_size
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"), info.size


def _body(path: Path, size: int) -> Iterator[bytes]:
    """A file's bytes in chunks, exactly `size` of them, padded to the tar block."""
    left = size
    with path.open("rb") as source:
        while left > 0:
            g.check_cancelled()  # a canceled task stops mid-file, its upload abandoned
            block = source.read(min(CHUNK, left))
            if not block:
                raise OSError(f"{path} shrank while it was archived")
            left -= len(block)
            yield block
    if size % BLOCK:
        yield bytes(BLOCK - size % BLOCK)


def _tree(path: Path, arcname: str) -> Iterator[bytes]:
    """`path` (a file, or a folder and everything below it) as tar entries named under
    `arcname`, without the end-of-archive blocks."""
    header, size = _header(path, arcname)
    yield header
    yield from _body(path, size) if size else ()
    if path.is_dir() and not path.is_symlink():
        for entry in _entries(path):
            header, size = _header(entry, f"{arcname}/{entry.relative_to(path).as_posix()}")
            yield header
            yield from _body(entry, size) if size else ()


def _data(arcname: str, data: bytes | None) -> Iterator[bytes]:
    """A file of `data`, or a folder (None), made in memory (a README, a folder's entry)."""
    info = tarfile.TarInfo(arcname)
    info.mtime = int(time.time())
    if data is None:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size, info.mode = len(data), 0o644
    yield info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    if data:
        yield data
        if len(data) % BLOCK:
            yield bytes(BLOCK - len(data) % BLOCK)


def _closed(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """`blocks` followed by the end of the archive: two zero blocks, padded to a record."""
    written = 0
    for block in blocks:
        written += len(block)
        yield block
    end = 2 * BLOCK
    end += -(written + end) % RECORD
    yield bytes(end)


def _gzip(blocks: Iterable[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    for block in blocks:
        out = compressor.compress(block)
        if out:
            yield out
    yield compressor.flush()


def tar_blocks(folder: Path, root: str) -> Iterator[bytes]:
    """`folder` as an uncompressed tar whose entries are under `root/`."""
    return _closed(_tree(folder, root))


def tar_gz(folder: Path, root: str) -> Iterator[bytes]:
    """`folder` as a `.tar.gz` stream (entries under `root/`): gzip by one zlib stream."""
    return _gzip(tar_blocks(folder, root))


# A part of a bigger archive: its path below the archive's root, and its content: bytes
# (a small file made in memory) or a path on disk (a file, or a staged folder).
Part = tuple[str, bytes | Path]


def tar_gz_parts(root: str, parts: Iterable[Part]) -> Iterator[bytes]:
    """One `.tar.gz` of `parts` under `root/`, as a stream of blocks. The parts are pulled
    one at a time, each only once the previous one is in the stream: a generator can stage
    a folder, yield it, and delete it when asked for the next, so the disk holds one part
    at a time and memory holds one block (an organization's export, one repository each)."""

    def blocks() -> Iterator[bytes]:
        yield from _data(root, None)
        for name, part in parts:
            arcname = f"{root}/{name}"
            yield from _data(arcname, part) if isinstance(part, bytes) else _tree(part, arcname)

    return _gzip(_closed(blocks()))


# Folder names in an archive of many repositories ----------------------------------------

# What the top of an organization's archive holds besides the repositories' folders.
TOP_NAMES = ("readme.md", "index.json")
MAX_FOLDER = 100
_DEVICES = {"con", "prn", "aux", "nul"} | {f"{d}{n}" for d in ("com", "lpt") for n in range(10)}


def folder_name(name: str, taken: set[str]) -> str:
    """A repository's full name (`acme/app`) as a folder name that every file system takes:
    letters, digits, `.`, `-` and `_` only (anything else becomes `_`: `acme_app`), no
    leading `.` or `-`, no trailing `.`, no Windows device name (`con`, `lpt1`, ...), at most
    100 characters, and unique among `taken` ignoring case (`acme_app-2`; `taken` holds
    lower-cased names and gets this one)."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".-")[:MAX_FOLDER].rstrip(".")
    if not base:
        base = "repository"
    if base.split(".")[0].lower() in _DEVICES:
        base = f"_{base}"[:MAX_FOLDER]
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: MAX_FOLDER - len(suffix)].rstrip(".") + suffix
    taken.add(candidate.lower())
    return candidate
