"""Restoring a snapshot: into a folder (bare mirror or working clone) or by pushing to a URL.

The chain (the full snapshot, then each child down to the one asked for) is unbundled in
order into the target, each object checked against its manifest on the way; then the refs
are set to exactly the manifest's, HEAD to its target, and `git fsck --full` must be clean.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from repovault.engine import git as g
from repovault.engine.manifest import Manifest, chain
from repovault.engine.vault import DamagedSnapshot, Vault

log = structlog.get_logger(__name__)


class RestoreError(Exception):
    pass


@dataclass
class RestoreResult:
    snapshot: Manifest
    target: str
    warnings: list[str] = field(default_factory=list)


def pick(manifests: dict[str, Manifest], snapshot: str | None) -> Manifest:
    if not manifests:
        raise RestoreError("there is no snapshot to restore")
    if snapshot is None:
        return max(manifests.values(), key=lambda m: (m.created_at, m.id))
    found = manifests.get(snapshot)
    if found is None:
        raise RestoreError(f"no snapshot {snapshot}")
    return found


def apply(vault: Vault, manifest: Manifest, git: g.Git, git_dir: Path, scratch: Path) -> None:
    """Add one snapshot's objects (bundle, LFS objects) to a repository."""
    bundle = manifest.object("bundle")
    if bundle is not None:
        path = scratch / f"{manifest.id}.bundle"
        with path.open("wb") as out:
            for block in vault.read_object(manifest, bundle):
                out.write(block)
        try:
            git.run(["bundle", "unbundle", str(path)])
        except g.GitError as exc:
            raise DamagedSnapshot(
                f"snapshot {manifest.id}: the bundle does not apply: {exc}"
            ) from exc
        finally:
            path.unlink()
    for oid in manifest.content.lfs:
        stored = manifest.object(f"lfs/{oid}")
        if stored is None:
            raise DamagedSnapshot(f"snapshot {manifest.id}: LFS object {oid} is not listed")
        target = git_dir / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with target.open("wb") as out:
            for block in vault.read_object(manifest, stored):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != oid:
            target.unlink()
            raise DamagedSnapshot(f"snapshot {manifest.id}: LFS object {oid} has other content")


def check_refs(git: g.Git, manifest: Manifest) -> None:
    refs = g.local_refs(git)
    if refs != manifest.content.refs:
        missing = sorted(set(manifest.content.refs) - set(refs))
        raise DamagedSnapshot(f"snapshot {manifest.id}: refs differ after restore ({missing})")


def fsck(git: g.Git, manifest: Manifest) -> None:
    """Every object intact and every ref's history complete."""
    fsck = git.run(["fsck", "--full", "--no-dangling", "--no-progress"], check=False)
    if fsck.returncode != 0:
        raise DamagedSnapshot(
            f"snapshot {manifest.id}: git fsck failed: "
            f"{g.decode(fsck.stdout + fsck.stderr).strip()[:500]}"
        )


def materialize(
    vault: Vault, manifest: Manifest, manifests: dict[str, Manifest], git_dir: Path
) -> None:
    git = g.Git(git_dir)
    with tempfile.TemporaryDirectory(prefix="repovault-restore-") as scratch:
        for item in chain(manifests, manifest.id):
            apply(vault, item, git, git_dir, Path(scratch))
    g.set_refs(git, manifest.content.refs, manifest.content.head)
    check_refs(git, manifest)
    fsck(git, manifest)


def _empty_target(path: Path) -> None:
    if path.exists() and any(path.iterdir()):
        raise RestoreError(f"{path} is not empty; restore into a new or empty folder")


def restore_to_directory(
    vault: Vault, path: Path, *, snapshot: str | None = None, bare: bool = True
) -> RestoreResult:
    manifests = vault.manifests()
    manifest = pick(manifests, snapshot)
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
    return RestoreResult(manifest, str(path))


def restore_to_url(
    vault: Vault,
    url: str,
    *,
    snapshot: str | None = None,
    credentials: g.Credentials | None = None,
) -> RestoreResult:
    manifests = vault.manifests()
    manifest = pick(manifests, snapshot)
    result = RestoreResult(manifest, g.redact(url))
    with tempfile.TemporaryDirectory(prefix="repovault-push-") as scratch:
        repo = Path(scratch) / "repo.git"
        g.Git().run(["init", "--quiet", "--bare", str(repo)])
        materialize(vault, manifest, manifests, repo)
        git = g.Git(repo, credentials)
        pushed = git.run(["push", "--porcelain", "--", url, "+refs/*:refs/*"], check=False)
        for line in g.decode(pushed.stdout).splitlines():
            if line.startswith("!"):
                result.warnings.append(f"the target refused {line[1:].strip()}")
        if pushed.returncode != 0 and not result.warnings:
            raise RestoreError(
                f"push to {result.target} failed: {g.decode(pushed.stderr).strip()[:500]}"
            )
        if manifest.content.lfs or any(m.content.lfs for m in chain(manifests, manifest.id)):
            git.run(["lfs", "push", "--all", url])
    for warning in result.warnings:
        log.warning("restore push", snapshot=manifest.id, target=result.target, detail=warning)
    log.info("snapshot pushed", snapshot=manifest.id, target=result.target)
    return result
