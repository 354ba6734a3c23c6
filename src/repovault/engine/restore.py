"""Restoring a snapshot: into a folder (bare mirror or working clone) or by pushing to a URL.

The chain (the full snapshot, then each child down to the one asked for) is streamed in
order into `git index-pack`, each object checked against its manifest on the way; then the
refs are set to exactly the manifest's, HEAD to its target, and `git fsck` must find every
ref's history complete.

Which snapshot: the one named, else the newest. A snapshot that lost its manifest (it is in
`catalog.json`, so it was completed once) or depends on one that did is damaged: restoring
it, or "the newest" when it is the newest, fails and names it. With `allow_earlier` the
newest intact earlier snapshot is restored instead, and the result says which were passed
over and why.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from repovault.engine import git as g
from repovault.engine.errors import (
    CorruptObject,
    DamagedSnapshot,
    MissingManifest,
    NoSnapshot,
    PushFailed,
    TargetNotEmpty,
)
from repovault.engine.manifest import Manifest, StoredObject, chain
from repovault.engine.streams import split_head
from repovault.engine.vault import Vault

log = structlog.get_logger(__name__)


@dataclass
class Choice:
    """The snapshot to restore, and the damaged newer ones passed over to reach it."""

    manifest: Manifest
    passed_over: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        """What the caller is told when an earlier snapshot was restored instead."""
        if not self.passed_over:
            return None
        return (
            f"restored snapshot {self.manifest.id} instead of the newest, as allowed: "
            f"{'; '.join(self.reasons)}"
        )


@dataclass
class RestoreResult:
    snapshot: Manifest
    target: str
    warnings: list[str] = field(default_factory=list)
    passed_over: list[str] = field(default_factory=list)


def _damage(manifests: dict[str, Manifest], lost: set[str], snapshot: str) -> str | None:
    """Why a snapshot cannot be restored from its manifests, or None when it can."""
    if snapshot in lost:
        return (
            f"snapshot {snapshot} is damaged: its manifest.json is missing "
            "(it was completed once; see catalog.json)"
        )
    try:
        chain(manifests, snapshot)
    except MissingManifest as exc:
        return str(exc)
    return None


def choose(
    manifests: dict[str, Manifest],
    lost: set[str],
    snapshot: str | None = None,
    *,
    allow_earlier: bool = False,
) -> Choice:
    """The snapshot to restore: `snapshot`, else the newest. `lost` holds the ids of snapshots
    whose manifest is gone (`Vault.lost`); ids sort by creation time."""
    if snapshot is not None:
        if snapshot not in manifests and snapshot not in lost:
            raise NoSnapshot(f"no snapshot {snapshot}")
        problem = _damage(manifests, lost, snapshot)
        if problem is not None:
            raise MissingManifest(problem, snapshot=snapshot)
        return Choice(manifests[snapshot])
    ids = sorted(set(manifests) | lost, reverse=True)
    if not ids:
        raise NoSnapshot("there is no snapshot to restore")
    passed: list[str] = []
    reasons: list[str] = []
    for candidate in ids:
        problem = _damage(manifests, lost, candidate)
        if problem is None:
            return Choice(manifests[candidate], passed, reasons)
        if not allow_earlier:
            raise MissingManifest(
                f"the newest {problem}; restore an earlier snapshot by its id, or allow "
                "restoring the newest intact earlier snapshot (allowEarlier, --allow-earlier)",
                snapshot=candidate,
            )
        passed.append(candidate)
        reasons.append(problem)
    raise MissingManifest(
        f"no intact snapshot to restore: {'; '.join(reasons)}", snapshot=passed[0]
    )


def pick(
    vault: Vault, snapshot: str | None, *, allow_earlier: bool = False
) -> tuple[dict[str, Manifest], Choice]:
    manifests = vault.manifests()
    return manifests, choose(
        manifests, vault.lost(manifests), snapshot, allow_earlier=allow_earlier
    )


BUNDLE_SIGNATURE = b"# v2 git bundle\n"


def _pack_of(manifest: Manifest, data: Iterator[bytes]) -> Iterator[bytes]:
    """The pack inside a bundle stream (the header, refs and prerequisites, is skipped:
    the manifest is the authority on refs, and missing bases make index-pack fail)."""
    buffer = bytearray()
    for block in data:
        buffer += block
        end = buffer.find(b"\n\n")
        if end >= 0:
            if not buffer.startswith(BUNDLE_SIGNATURE):
                break
            yield bytes(buffer[end + 2 :])
            yield from data
            return
    raise CorruptObject(f"snapshot {manifest.id}: the bundle has no valid header")


def _index_bundle(vault: Vault, manifest: Manifest, bundle: StoredObject, git: g.Git) -> None:
    """Stream the bundle's pack into `git index-pack`, which hashes every object it stores
    and completes thin deltas from the objects that earlier snapshots brought."""
    _index_pack(git, _pack_of(manifest, vault.read_object(manifest, bundle)), manifest.id)


def _without_tail(data: Iterator[bytes], size: int) -> Iterator[bytes]:
    """All but the last `size` bytes (a pack's checksum trailer)."""
    held = b""
    for block in data:
        held += block
        if len(held) > size:
            yield held[:-size]
            held = held[-size:]


def _spliced_packs(vault: Vault, manifests: list[Manifest]) -> Iterator[bytes]:
    """One pack holding the entries of several snapshots' packs, in order.

    Entries are position-independent across packs (offset deltas point back within their own
    pack, ref deltas name their base), so the entries laid end to end under one header with
    the total count, and one new SHA-1 trailer, are a valid (thin) pack."""
    total = sum(m.content.object_count for m in manifests)
    checksum = hashlib.sha1()  # noqa: S324 - the pack format's own checksum
    header = b"PACK" + (2).to_bytes(4, "big") + total.to_bytes(4, "big")
    checksum.update(header)
    yield header
    for manifest in manifests:
        bundle = manifest.object("bundle")
        assert bundle is not None
        pack = _pack_of(manifest, vault.read_object(manifest, bundle))
        head, body = split_head(pack, 12)
        if (
            head[:4] != b"PACK"
            or int.from_bytes(head[8:12], "big") != manifest.content.object_count
        ):
            raise SpliceFailed(f"snapshot {manifest.id}: unexpected pack header")
        for block in _without_tail(body, 20):
            checksum.update(block)
            yield block
    yield checksum.digest()


class SpliceFailed(Exception):
    pass


# index-pack failures that say nothing about the snapshot.
LOCAL_TROUBLE = ("No space left on device", "Cannot allocate memory", "Disk quota exceeded")


def _index_pack(git: g.Git, pack: Iterable[bytes], label: str) -> None:
    process = git.popen(["index-pack", "--stdin", "--fix-thin"], stdin=subprocess.PIPE)
    assert process.stdin
    assert process.stdout
    assert process.stderr
    output: list[bytes] = []
    readers = [g.drain(process.stdout, output), g.drain(process.stderr, output)]
    try:
        for block in pack:
            process.stdin.write(block)
    except BrokenPipeError:
        pass  # index-pack stopped early; its exit status says why
    finally:
        process.stdin.close()
        returncode = process.wait()
        g.forget(process)
        for reader in readers:
            reader.join()
        process.stdout.close()
        process.stderr.close()
    g.check_cancelled()
    if returncode != 0:
        detail = g.decode(b"".join(output)).strip()[:300]
        if any(sign in detail for sign in LOCAL_TROUBLE):
            # The restoring machine's trouble, not the snapshot's: worth another attempt.
            raise g.GitError(f"snapshot {label}: git index-pack failed: {detail}")
        raise CorruptObject(f"snapshot {label}: the bundle does not apply: {detail}")


def apply(vault: Vault, manifest: Manifest, git: g.Git, git_dir: Path) -> None:
    """Add one snapshot's objects (bundle, LFS objects) to a repository."""
    bundle = manifest.object("bundle")
    if bundle is not None:
        _index_bundle(vault, manifest, bundle, git)
    _apply_lfs(vault, manifest, git_dir)


def _apply_lfs(vault: Vault, manifest: Manifest, git_dir: Path) -> None:
    for oid in manifest.content.lfs:
        stored = manifest.object(f"lfs/{oid}")
        if stored is None:
            raise CorruptObject(f"snapshot {manifest.id}: LFS object {oid} is not listed")
        target = git_dir / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with target.open("wb") as out:
            for block in vault.read_object(manifest, stored):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != oid:
            target.unlink()
            raise CorruptObject(f"snapshot {manifest.id}: LFS object {oid} has other content")


def check_refs(git: g.Git, manifest: Manifest) -> None:
    refs = g.local_refs(git)
    if refs != manifest.content.refs:
        missing = sorted(set(manifest.content.refs) - set(refs))
        raise CorruptObject(f"snapshot {manifest.id}: refs differ after restore ({missing})")


def fsck(git: g.Git, manifest: Manifest, *, full: bool = True) -> None:
    """Every ref's history complete and, with `full`, every object re-read and intact."""
    mode = "--full" if full else "--connectivity-only"
    fsck = git.run(["fsck", mode, "--no-dangling", "--no-progress"], check=False)
    if fsck.returncode != 0:
        raise CorruptObject(
            f"snapshot {manifest.id}: git fsck failed: "
            f"{g.decode(fsck.stdout + fsck.stderr).strip()[:500]}"
        )


def materialize(
    vault: Vault, manifest: Manifest, manifests: dict[str, Manifest], git_dir: Path
) -> None:
    git = g.Git(git_dir)
    items = chain(manifests, manifest.id)
    apply(vault, items[0], git, git_dir)
    rest = items[1:]
    spliced = [m for m in rest if m.object("bundle") is not None]
    if len(spliced) > 1:
        # One index-pack for every later snapshot instead of one each; should it fail, the
        # snapshots are applied one by one, which also names a damaged one precisely.
        try:
            _index_pack(git, _spliced_packs(vault, spliced), f"{spliced[0].id}..{spliced[-1].id}")
            for item in rest:
                _apply_lfs(vault, item, git_dir)
            rest = []
        except (DamagedSnapshot, SpliceFailed) as exc:
            log.warning("spliced restore failed, applying snapshots one by one", error=str(exc))
    for item in rest:
        apply(vault, item, git, git_dir)
    g.set_refs(git, manifest.content.refs, manifest.content.head)
    check_refs(git, manifest)
    # Unbundling (index-pack) has hashed every object it stored, so what is left to
    # prove is completeness; `verify` re-reads every object with --full.
    fsck(git, manifest, full=False)


def read_document(vault: Vault, snapshot: str, name: str) -> bytes:
    """A metadata document stored with a snapshot (issues, pull requests, ...)."""
    _, choice = pick(vault, snapshot)
    manifest = choice.manifest
    stored = manifest.object(f"meta/{name}")
    if stored is None:
        raise NoSnapshot(f"snapshot {snapshot} has no document {name!r}")
    return b"".join(vault.read_object(manifest, stored))


def _empty_target(path: Path) -> None:
    if path.exists() and any(path.iterdir()):
        raise TargetNotEmpty(f"{path} is not empty; restore into a new or empty folder")


def _result(choice: Choice, target: str) -> RestoreResult:
    result = RestoreResult(choice.manifest, target, passed_over=list(choice.passed_over))
    if choice.note:
        result.warnings.append(choice.note)
        log.warning("earlier snapshot restored", snapshot=choice.manifest.id, why=choice.note)
    return result


def restore_to_directory(
    vault: Vault,
    path: Path,
    *,
    snapshot: str | None = None,
    bare: bool = True,
    allow_earlier: bool = False,
) -> RestoreResult:
    manifests, choice = pick(vault, snapshot, allow_earlier=allow_earlier)
    manifest = choice.manifest
    _empty_target(path)
    path.mkdir(parents=True, exist_ok=True)
    try:
        if bare:
            g.Git().run(["init", "--quiet", "--bare", str(path)])
            materialize(vault, manifest, manifests, path)
        else:
            g.Git().run(["init", "--quiet", str(path)])
            materialize(vault, manifest, manifests, path / ".git")
            worktree = g.Git()
            if manifest.content.head and manifest.content.refs:
                worktree.run(["-C", str(path), "reset", "--quiet", "--hard"])
                if manifest.content.lfs:
                    worktree.run(["-C", str(path), "lfs", "install", "--local"])
                    worktree.run(["-C", str(path), "lfs", "checkout"])
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    log.info("snapshot restored", snapshot=manifest.id, target=str(path), bare=bare)
    return _result(choice, str(path))


def restore_to_url(
    vault: Vault,
    url: str,
    *,
    snapshot: str | None = None,
    credentials: g.Credentials | None = None,
    allow_earlier: bool = False,
) -> RestoreResult:
    manifests, choice = pick(vault, snapshot, allow_earlier=allow_earlier)
    manifest = choice.manifest
    result = _result(choice, g.redact(url))
    with tempfile.TemporaryDirectory(prefix="repovault-push-") as scratch:
        repo = Path(scratch) / "repo.git"
        g.Git().run(["init", "--quiet", "--bare", str(repo)])
        materialize(vault, manifest, manifests, repo)
        git = g.Git(repo, g.scoped(credentials, url))
        pushed = git.run(["push", "--porcelain", "--", url, "+refs/*:refs/*"], check=False)
        refused = [
            f"the target refused {line[1:].strip()}"
            for line in g.decode(pushed.stdout).splitlines()
            if line.startswith("!")
        ]
        if pushed.returncode != 0 and not refused:
            raise PushFailed(
                f"push to {result.target} failed: {g.decode(pushed.stderr).strip()[:500]}"
            )
        result.warnings += refused
        head = manifest.content.head
        if head and head.startswith("refs/"):
            result.warnings.append(
                f"a push cannot set the target's default branch: set it to {head} there"
            )
        if manifest.content.lfs or any(m.content.lfs for m in chain(manifests, manifest.id)):
            git.run(["lfs", "push", "--all", url])
    for warning in result.warnings[1 if choice.note else 0 :]:
        log.warning("restore push", snapshot=manifest.id, target=result.target, detail=warning)
    log.info("snapshot pushed", snapshot=manifest.id, target=result.target)
    return result
