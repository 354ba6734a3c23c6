"""Retention: which snapshots to keep, and pruning the rest.

Rules (the plan DTO's `retention`): 1 keep forever; 2 keep the newest `number` snapshots;
3 keep those younger than `number` x `period`. Each option applies to one backup kind
(`type` 0 all, 1 full, 2 differential, 3 incremental). GFS keeps the newest snapshot of
each of the last N days, weeks, months and years.

Whatever the rule, the newest snapshot is always kept, and a kept snapshot keeps every
snapshot it depends on (its parent chain), so pruning never breaks a restore. Manifests go
first, then objects, so an interrupted prune leaves only garbage for the next sweep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from repovault.backends.retained import lockable, retained_until
from repovault.engine.layout import manifest_key
from repovault.engine.lock import locked
from repovault.engine.manifest import KINDS, Manifest
from repovault.engine.vault import Vault

log = structlog.get_logger(__name__)

KEEP_FOREVER, KEEP_NEWEST, KEEP_YOUNGER = 1, 2, 3
PERIODS = {
    0: timedelta(hours=1),
    1: timedelta(days=1),
    2: timedelta(weeks=1),
    3: timedelta(days=30),
    4: timedelta(days=365),
}
TYPE_KINDS = {0: set(KINDS), 1: {"full"}, 2: {"differential"}, 3: {"incremental"}}


@dataclass(frozen=True)
class Option:
    number: int
    period: int = 1
    type: int = 0


@dataclass(frozen=True)
class Gfs:
    days: int = 0
    weeks: int = 0
    months: int = 0
    years: int = 0


@dataclass(frozen=True)
class Policy:
    rule: int = KEEP_FOREVER
    options: tuple[Option, ...] = ()
    gfs: Gfs | None = None


@dataclass
class PruneResult:
    kept: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    # Snapshots the rules would delete, kept because the storage locks them: id -> until.
    locked: dict[str, datetime] = field(default_factory=dict)


def _by_time(manifests: Iterable[Manifest]) -> list[Manifest]:
    return sorted(manifests, key=lambda m: (m.created_at, m.id), reverse=True)


def _gfs(manifests: list[Manifest], gfs: Gfs) -> set[str]:
    keep: set[str] = set()
    buckets = (
        (gfs.days, lambda d: d.strftime("%Y-%m-%d")),
        (gfs.weeks, lambda d: f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}"),
        (gfs.months, lambda d: d.strftime("%Y-%m")),
        (gfs.years, lambda d: d.strftime("%Y")),
    )
    for count, bucket in buckets:
        seen: list[str] = []
        for manifest in _by_time(manifests):
            key = bucket(datetime.fromtimestamp(manifest.created_at / 1000, UTC))
            if key not in seen:
                if len(seen) == count:
                    break
                seen.append(key)
                keep.add(manifest.id)
    return keep


def select(manifests: dict[str, Manifest], policy: Policy, now: datetime) -> set[str]:
    """The ids to keep, dependencies included."""
    ordered = _by_time(manifests.values())
    if not ordered:
        return set()
    keep = {ordered[0].id}
    if policy.rule == KEEP_FOREVER:
        keep |= set(manifests)
    for option in policy.options if policy.rule != KEEP_FOREVER else ():
        of_kind = [m for m in ordered if m.kind in TYPE_KINDS.get(option.type, set())]
        if policy.rule == KEEP_NEWEST:
            keep |= {m.id for m in of_kind[: option.number]}
        elif policy.rule == KEEP_YOUNGER:
            horizon = now - PERIODS[option.period] * option.number
            keep |= {
                m.id for m in of_kind if datetime.fromtimestamp(m.created_at / 1000, UTC) >= horizon
            }
    if policy.gfs is not None:
        keep |= _gfs(ordered, policy.gfs)
    return _with_parents(keep, manifests)


def _with_parents(keep: set[str], manifests: dict[str, Manifest]) -> set[str]:
    """`keep` and every snapshot a kept one is built on."""
    keep = set(keep)
    for snapshot in list(keep):
        parent = manifests[snapshot].parent
        while parent is not None and parent in manifests:
            keep.add(parent)
            parent = manifests[parent].parent
    return keep


def _locked(vault: Vault, manifests: dict[str, Manifest], now: datetime) -> dict[str, datetime]:
    """The snapshots the storage still locks (S3 Object Lock), asked of their manifests."""
    found = {}
    for snapshot in manifests:
        until = retained_until(vault.storage, manifest_key(vault.prefix, snapshot))
        if until is not None and until > now:
            found[snapshot] = until
    return found


def prune(
    vault: Vault, policy: Policy, *, now: datetime | None = None, dry_run: bool = False
) -> PruneResult:
    with locked(vault.storage, vault.prefix):
        return _prune(vault, policy, now=now, dry_run=dry_run)


def _prune(vault: Vault, policy: Policy, *, now: datetime | None, dry_run: bool) -> PruneResult:
    manifests = vault.manifests()
    now = now or datetime.now(UTC)
    keep = select(manifests, policy, now)
    doomed = {snapshot: manifests[snapshot] for snapshot in manifests if snapshot not in keep}
    held = _locked(vault, doomed, now) if doomed and lockable(vault.storage) else {}
    if held:  # never deleted early: kept, with what they are built on
        keep = _with_parents(keep | set(held), manifests)
        for snapshot, until in sorted(held.items()):
            log.info(
                "snapshot kept: locked by the storage",
                prefix=vault.prefix,
                snapshot=snapshot,
                until=until.isoformat(),
            )
    result = PruneResult(kept=sorted(keep), locked=held)
    for manifest in _by_time(manifests.values()):
        if manifest.id in keep:
            continue
        result.deleted.append(manifest.id)
        if not dry_run:
            vault.delete_snapshot(manifest.id)
        log.info(
            "snapshot pruned" if not dry_run else "snapshot would be pruned",
            prefix=vault.prefix,
            snapshot=manifest.id,
            kind=manifest.kind,
            created_at=manifest.created_at,
        )
    return result
