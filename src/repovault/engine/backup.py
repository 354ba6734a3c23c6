"""Backing up one repository into a vault.

    lock the folder -> sweep partial snapshots -> ls-remote (one round trip)
      -> unchanged? done, nothing written
      -> fetch into the bare mirror cache (+refs/*:refs/*, prune; a first backup clones)
      -> bundle of what the parent lacks (prerequisites: the parent's tips)
      -> LFS objects the chain lacks -> metadata documents -> manifest, last

The cache is disposable: without it the next backup is a full one.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from repovault.engine import git as g
from repovault.engine.lock import locked
from repovault.engine.manifest import Content, Manifest, StoredObject, chain, snapshot_id
from repovault.engine.streams import chunks
from repovault.engine.vault import Compression, Vault

log = structlog.get_logger(__name__)

Progress = Callable[[str, int], None]
EMPTY_BUNDLE = "Refusing to create empty bundle"


@dataclass
class BackupOptions:
    kind: str = "incremental"  # full, differential or incremental
    compression: Compression = field(default_factory=Compression)
    lfs: str = "auto"  # auto (when HEAD's .gitattributes uses LFS), always, never
    force: bool = False  # a new snapshot even when nothing changed
    # False: the mirror (a plain copy of the repository) is removed when the backup ends,
    # and the next one clones again; snapshots still build on their parent.
    keep_cache: bool = True
    # Documents stored beside the bundle: bytes, or files streamed from disk.
    metadata: dict[str, bytes | Path] = field(default_factory=dict)
    # Items in each JSON document, as the exporter counted them: recorded in the manifest, so
    # that listing snapshots never reads a document to count it.
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class BackupResult:
    snapshot: Manifest | None  # the new snapshot, or the latest one when nothing changed
    created: bool
    swept: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # What the caller should pass on: a stale lock taken over, a catalog rebuilt.
    warnings: list[str] = field(default_factory=list)


def _is_repository(path: Path) -> bool:
    return (path / "objects").is_dir() and (path / "HEAD").is_file()


def update_cache(
    cache: Path, url: str, credentials: g.Credentials | None, head: str | None
) -> tuple[g.Git, bool]:
    """Bring the bare mirror up to date; (git, True when the cache was new).

    A new cache is a `git clone --mirror` (one negotiation, the remote's HEAD recorded);
    an existing one fetches `+refs/*:refs/*` with pruning. Fetches keep their packs whole
    (`fetch.unpackLimit=1`), so a new cache holds one complete pack."""
    git = g.Git(cache, credentials)
    fresh = not _is_repository(cache)
    if fresh:
        shutil.rmtree(cache, ignore_errors=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        g.Git(credentials=credentials).run(["clone", "--quiet", "--mirror", "--", url, str(cache)])
        git.run(["config", "remote.origin.url", g.redact(url)])
        git.run(["config", "fetch.unpackLimit", "1"])
    else:
        git.run(["config", "remote.origin.url", g.redact(url)])
        git.run(
            ["fetch", "--quiet", "--prune", "--no-write-fetch-head", "origin", "+refs/*:refs/*"]
        )
    if head and head.startswith("refs/"):
        git.run(["symbolic-ref", "HEAD", head])
    return git, fresh


def _choose(
    kind: str, manifests: dict[str, Manifest], fresh_cache: bool
) -> tuple[str, Manifest | None]:
    ordered = sorted(manifests.values(), key=lambda m: (m.created_at, m.id))
    if kind == "full" or not ordered or fresh_cache:
        return "full", None
    if kind == "differential":
        fulls = [m for m in ordered if m.kind == "full"]
        return ("differential", fulls[-1]) if fulls else ("full", None)
    return "incremental", ordered[-1]


class PackCount:
    """Passes a bundle through and reads the object count from its pack header."""

    def __init__(self, source: Iterable[bytes]) -> None:
        self._source = source
        self.count = 0

    def __iter__(self) -> Iterator[bytes]:
        head = bytearray()
        found = False
        for block in self._source:
            if not found:
                head += block
                end = head.find(b"\n\nPACK")
                if end >= 0 and len(head) >= end + 14:
                    self.count = int.from_bytes(head[end + 10 : end + 14], "big")
                    found = True
                    head.clear()
            yield block


def _single_pack(cache: Path) -> Path | None:
    """The cache's only pack when it holds nothing else (a freshly fetched mirror)."""
    packs = list((cache / "objects" / "pack").glob("*.pack"))
    loose = any(p.is_dir() and len(p.name) == 2 for p in (cache / "objects").iterdir())
    return packs[0] if len(packs) == 1 and not loose else None


def _bundle_of_pack(refs: dict[str, str], pack: Path) -> Iterator[bytes]:
    """A v2 bundle made of the refs and the fetched pack, without packing again."""
    yield b"# v2 git bundle\n"
    yield b"".join(g.encode(f"{oid} {name}\n") for name, oid in refs.items())
    yield b"\n"
    with pack.open("rb") as source:
        yield from chunks(source)


def _store_fetched_pack(
    vault: Vault,
    snapshot: str,
    refs: dict[str, str],
    pack: Path,
    options: BackupOptions,
    progress: Progress | None,
) -> tuple[StoredObject, int]:
    counter = PackCount(_reporting(_bundle_of_pack(refs, pack), "bundle", progress))
    stored = vault.put_object(snapshot, "bundle", counter, options.compression)
    return stored, counter.count


def _store_bundle(
    vault: Vault,
    git: g.Git,
    snapshot: str,
    exclude: list[str],
    options: BackupOptions,
    progress: Progress | None,
) -> tuple[StoredObject | None, int]:
    process = git.popen(["bundle", "create", "-", "--all", "--stdin"], stdin=subprocess.PIPE)
    assert process.stdin
    assert process.stdout
    assert process.stderr
    errors: list[bytes] = []
    drainer = g.drain(process.stderr, errors)
    process.stdin.write(g.encode("".join(f"^{oid}\n" for oid in exclude)))
    process.stdin.close()
    counter = PackCount(_reporting(chunks(process.stdout), "bundle", progress))
    try:
        stored = vault.put_object(snapshot, "bundle", counter, options.compression)
    finally:
        process.stdout.close()
        returncode = process.wait()
        g.forget(process)
        drainer.join()
        process.stderr.close()
    g.check_cancelled()
    if returncode != 0:
        message = g.decode(b"".join(errors)).strip()
        # Refs changed but no object is new (a branch deleted or moved back): git has
        # written a header already, which holds nothing the chain needs.
        vault.storage.delete(stored.key)
        if EMPTY_BUNDLE in message:
            return None, 0
        raise g.GitError(f"git bundle create failed: {message}")
    return stored, counter.count


def _reporting(source: Iterable[bytes], stage: str, progress: Progress | None) -> Iterator[bytes]:
    done = 0
    for block in source:
        done += len(block)
        if progress:
            progress(stage, done)
        yield block


def _uses_lfs(git: g.Git, mode: str) -> bool:
    """Whether to fetch LFS objects. A repository that uses LFS is never backed up without
    them for want of git-lfs: that fails, loudly, instead of losing data quietly."""
    if mode == "never":
        return False
    if mode == "auto":
        attributes = git.run(["cat-file", "-p", "HEAD:.gitattributes"], check=False)
        if attributes.returncode != 0 or b"filter=lfs" not in attributes.stdout:
            return False
    if not g.lfs_available():
        raise g.GitError(
            "the repository uses Git LFS but git-lfs is not installed "
            "(apt-get install git-lfs), or back up without LFS objects with lfs='never'",
            permanent=True,
        )
    return True


def _lfs_objects(cache: Path) -> dict[str, Path]:
    root = cache / "lfs" / "objects"
    if not root.is_dir():
        return {}
    return {p.name: p for p in root.glob("*/*/*") if p.is_file() and len(p.name) == 64}


def _store_lfs(
    vault: Vault, git: g.Git, cache: Path, snapshot: str, known: set[str], options: BackupOptions
) -> tuple[list[StoredObject], list[str]]:
    git.run(["lfs", "fetch", "--all", "origin"])
    stored, oids = [], []
    for oid, path in sorted(_lfs_objects(cache).items()):
        if oid in known:
            continue
        with path.open("rb") as source:
            stored.append(
                vault.put_object(snapshot, f"lfs/{oid}", chunks(source), options.compression)
            )
        oids.append(oid)
    return stored, oids


def _store_document(
    vault: Vault, snapshot: str, name: str, document: bytes | Path, options: BackupOptions
) -> StoredObject:
    if isinstance(document, bytes):
        return vault.put_object(snapshot, f"meta/{name}", [document], options.compression)
    with document.open("rb") as source:
        return vault.put_object(snapshot, f"meta/{name}", chunks(source), options.compression)


def backup(
    *,
    url: str,
    vault: Vault,
    cache: Path,
    credentials: g.Credentials | None = None,
    options: BackupOptions | None = None,
    progress: Progress | None = None,
) -> BackupResult:
    options = options or BackupOptions()
    try:
        # For the repository's own origin only; over SSH with the key on disk meanwhile.
        with g.transfer(credentials, url) as (url, credentials):
            return _backup(url, vault, cache, credentials, options, progress)
    finally:
        if not options.keep_cache:
            shutil.rmtree(cache, ignore_errors=True)


def _backup(
    url: str,
    vault: Vault,
    cache: Path,
    credentials: g.Credentials | None,
    options: BackupOptions,
    progress: Progress | None,
) -> BackupResult:
    started = time.monotonic()
    label = g.redact(url)
    with locked(vault.storage, vault.prefix) as held:
        warnings = list(held.warnings)
        swept = vault.sweep()
        if repaired := vault.repair_catalog():
            warnings.append(repaired)
        manifests = vault.manifests()
        latest = max(manifests.values(), key=lambda m: (m.created_at, m.id), default=None)
        # With nothing to compare against, the fetch alone tells the state (and HEAD).
        remote = g.ls_remote(url, credentials) if latest is not None else None
        if (
            remote is not None
            and latest is not None
            and not options.force
            and remote.refs == latest.content.refs
            and remote.head == latest.content.head
        ):
            log.info("repository unchanged", repository=label, snapshot=latest.id)
            return BackupResult(
                latest, False, swept, seconds=time.monotonic() - started, warnings=warnings
            )
        git, fresh = update_cache(cache, url, credentials, remote.head if remote else None)
        head = remote.head if remote else g.head_target(git)
        # A cache kept from the last run is the norm; a new one means a full snapshot, unless
        # the plan keeps none (then every cache is new, and the parent's tips are excluded).
        kind, parent = _choose(options.kind, manifests, fresh and options.keep_cache)
        snapshot = snapshot_id()
        refs = g.local_refs(git)
        if head is not None and head.startswith("refs/") and head not in refs:
            head = None  # an unborn HEAD, as ls-remote reports it
        exclude = g.existing(git, parent.content.refs.values()) if parent else []
        objects: list[StoredObject] = []
        pack = _single_pack(cache) if fresh and kind == "full" else None
        bundle: StoredObject | None
        if not refs:
            bundle, count = None, 0
        elif pack is not None:
            bundle, count = _store_fetched_pack(vault, snapshot, refs, pack, options, progress)
        else:
            bundle, count = _store_bundle(vault, git, snapshot, exclude, options, progress)
        if bundle:
            objects.append(bundle)
        lfs: list[str] = []
        if _uses_lfs(git, options.lfs):
            known = (
                {oid for m in chain(manifests, parent.id) for oid in m.content.lfs}
                if parent
                else set()
            )
            lfs_stored, lfs = _store_lfs(vault, git, cache, snapshot, known, options)
            objects += lfs_stored
        for name, document in sorted(options.metadata.items()):
            objects.append(_store_document(vault, snapshot, name, document, options))
        manifest = Manifest(
            id=snapshot,
            repository=label,
            kind=kind,
            parent=parent.id if parent else None,
            created_at=int(time.time() * 1000),
            codec=options.compression.codec.name.lower(),
            level=options.compression.level,
            encrypted=vault.password is not None,
            objects=objects,
            content=Content(
                head=head,
                refs=refs,
                object_count=count,
                lfs=lfs,
                metadata=sorted(options.metadata),
                counts={n: c for n, c in sorted(options.counts.items()) if n in options.metadata},
            ),
        )
        vault.write_manifest(manifest)
    seconds = time.monotonic() - started
    log.info(
        "snapshot written",
        repository=label,
        snapshot=snapshot,
        kind=kind,
        objects=count,
        stored_bytes=manifest.stored_bytes,
        seconds=round(seconds, 3),
    )
    return BackupResult(manifest, True, swept, seconds=seconds, warnings=warnings)
