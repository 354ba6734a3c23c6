"""Verifying a vault: every object's size and SHA-256, decryption and decompression, every
bundle applied in chain order, every snapshot's refs present and connected, and `git fsck`.

Snapshots are checked tree by tree: each full snapshot is unbundled into a scratch
repository and its descendants on top, so a vault is read once whatever its depth.

A missing `catalog.json` (deleted) is reported as a problem of its own and rebuilt from the
manifests, under the folder's lock; while a backup holds the lock, that backup rebuilds it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from repovault.engine import git as g
from repovault.engine.errors import DamagedSnapshot, EngineError
from repovault.engine.layout import CATALOG_FILE
from repovault.engine.lock import LockedError, locked
from repovault.engine.manifest import Manifest
from repovault.engine.restore import apply, check_refs, fsck
from repovault.engine.vault import Vault

# Told (snapshots rebuilt so far, snapshots to rebuild) as a verification goes.
Progress = Callable[[int, int], None]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Problem:
    snapshot: str
    message: str


@dataclass
class VerifyReport:
    checked: list[str]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def _descendants(manifests: dict[str, Manifest], root: str) -> list[Manifest]:
    """`root` and every snapshot that descends from it, parents before children."""
    order = sorted(manifests.values(), key=lambda m: (m.created_at, m.id))
    members = {root}
    result = []
    for manifest in order:
        if manifest.id == root or manifest.parent in members:
            members.add(manifest.id)
            result.append(manifest)
    return result


def _connected(git: g.Git, manifest: Manifest, manifests: dict[str, Manifest]) -> None:
    """Everything reachable from the snapshot's refs is there; only the part its parent
    did not have is walked."""
    tips = [f"{oid}\n" for oid in set(manifest.content.refs.values())]
    parent = manifests.get(manifest.parent) if manifest.parent else None
    if parent is not None:
        tips += [f"^{oid}\n" for oid in set(parent.content.refs.values())]
    result = git.run(
        ["rev-list", "--objects", "--quiet", "--stdin"], input="".join(tips).encode(), check=False
    )
    if result.returncode != 0:
        raise DamagedSnapshot(
            f"snapshot {manifest.id}: history incomplete: {g.decode(result.stderr).strip()[:300]}"
        )


CATALOG = CATALOG_FILE


def _catalog_problem(vault: Vault) -> Problem | None:
    """A deleted catalog, reported and rebuilt (it is what tells a lost manifest from the
    leftovers of an interrupted backup)."""
    if vault.read_catalog() is not None or not vault.snapshot_ids()[0]:
        return None
    try:
        with locked(vault.storage, vault.prefix):
            repaired = vault.repair_catalog()
    except LockedError as exc:
        return Problem(CATALOG, f"catalog.json is missing; not rebuilt now ({exc})")
    if repaired is None:
        return None  # a backup rebuilt it meanwhile
    return Problem(CATALOG, f"{repaired}; snapshots that lost their manifest before cannot be told")


def _check_chain(
    vault: Vault,
    root: Manifest,
    tree: list[Manifest],
    manifests: dict[str, Manifest],
    problems: list[Problem],
    step: Callable[[], None],
) -> list[str]:
    """Rebuild one chain (a full snapshot and what grows from it) in a scratch repository,
    checking each snapshot's refs and objects, then the whole with `git fsck`; the ids
    checked. Damage goes into `problems`; what depends on a damaged snapshot is not
    applied."""
    checked: list[str] = []
    with tempfile.TemporaryDirectory(prefix="repovault-verify-") as scratch:
        repo = Path(scratch) / "repo.git"
        git = g.Git()
        git.run(["init", "--quiet", "--bare", str(repo)])
        git = g.Git(repo)
        broken: set[str] = set()
        for manifest in tree:
            if manifest.parent in broken:
                broken.add(manifest.id)
                problems.append(Problem(manifest.id, f"depends on damaged {manifest.parent}"))
                continue
            try:
                apply(vault, manifest, git, repo)
                g.set_refs(git, manifest.content.refs, manifest.content.head)
                check_refs(git, manifest)
                _connected(git, manifest, manifests)
            except EngineError as exc:
                broken.add(manifest.id)
                problems.append(Problem(manifest.id, str(exc)))
            checked.append(manifest.id)
            step()
        try:
            fsck(git, tree[-1])
        except DamagedSnapshot as exc:
            problems.append(Problem(root.id, f"the chain's objects: {exc}"))
    return checked


def verify(
    vault: Vault, snapshot: str | None = None, on_step: Progress | None = None
) -> VerifyReport:
    """Every snapshot (or the chain holding `snapshot`) rebuilt and checked; `on_step(done,
    total)` after each snapshot rebuilt, so a long verification reports as it goes."""
    problems: list[Problem] = []
    try:
        manifests = vault.manifests()
    except (EngineError, ValueError, KeyError) as exc:
        return VerifyReport([], [Problem("*", f"manifests cannot be read: {exc}")])
    if (missing := _catalog_problem(vault)) is not None:
        problems.append(missing)
    catalog = vault.catalog()
    problems += [
        Problem(lost, "the manifest is missing (the snapshot was completed once)")
        for lost in sorted(catalog - set(manifests))
    ]
    wanted = set(manifests) if snapshot is None else {snapshot}
    if snapshot is not None and snapshot not in manifests:
        problems.append(Problem(snapshot, "no such snapshot"))
        wanted = set()
    for manifest in manifests.values():
        if manifest.parent is not None and manifest.parent not in manifests:
            problems.append(Problem(manifest.id, f"its parent {manifest.parent} is missing"))
    checked: list[str] = []
    roots = sorted((m for m in manifests.values() if m.kind == "full"), key=lambda m: m.created_at)
    chains = [(root, _descendants(manifests, root.id)) for root in roots]
    chains = [(root, tree) for root, tree in chains if wanted & {m.id for m in tree}]
    total = sum(len(tree) for _, tree in chains)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if on_step is not None:
            on_step(done, total)

    for root, tree in chains:
        checked += _check_chain(vault, root, tree, manifests, problems, step)
    for problem in problems:
        log.error(
            "verify found damage",
            prefix=vault.prefix,
            snapshot=problem.snapshot,
            problem=problem.message,
        )
    return VerifyReport(checked, problems)
