"""An organization (or a plan) at a point in time restored into an organization: one
`restore` task per repository with a snapshot taken at or before that time, each into a
repository of the target organization (platform target, runner/restore_platform.py), run
`concurrency` at a time as one batch of tasks (tasks/reconciler.py).

    source (organization | plan) -> its repositories -> each one's newest snapshot at or
    before `at` (none: skipped) -> the whole request checked (platforms, names, and each
    target repository new or empty unless overwrite / dry run) -> the tasks, all or none
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.backends.base import Backend
from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.errors import Conflict, InvalidInput
from repovault.common.ids import new_id
from repovault.common.lookup import get_by_id
from repovault.engine.layout import vault_prefix
from repovault.engine.manifest import is_snapshot_id
from repovault.engine.vault import Vault
from repovault.organizations.models import Organization
from repovault.plans.models import Plan
from repovault.providers.writes import readable, writable
from repovault.repositories import vaults
from repovault.repositories.models import Repository
from repovault.repositories.org_exports import parse_at
from repovault.repositories.platform_targets import (
    NOT_READABLE,
    NOT_WRITABLE,
    check_platform_target,
    default_name,
)
from repovault.repositories.schemas import (
    OrganizationRestoreOut,
    OrganizationRestoreRequest,
    RestoreQueued,
)
from repovault.repositories.targets import REPOSITORY_NAME
from repovault.runtime import Runtime
from repovault.storages.service import open_backend
from repovault.tasks import service
from repovault.tasks.models import RepositoryVault

LAST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


@dataclass
class Chosen:
    repository: Repository
    plan: Plan  # whose vault holds the snapshot (its worker reaches the storage)
    snapshot_id: str
    name: str  # in the target organization


def shown(at: int) -> str:
    """A time in messages (unix ms beyond the calendar as they came)."""
    try:
        return datetime.fromtimestamp(at / 1000, UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        return f"{at} (unix ms)"


def _source(
    session: Session, organization_id: str | None, plan_id: str | None
) -> tuple[Organization, Plan | None, list[Repository]]:
    """The source organization, the plan (when one is named) and the repositories."""
    if (organization_id is None) == (plan_id is None):
        message = "give either id (an organization) or planId, not both"
        raise InvalidInput(
            codes.EXPORT_SCOPE_INVALID, message, errors={"id": [message], "planId": [message]}
        )
    if plan_id is not None:
        plan = get_by_id(session, Plan, plan_id, code=codes.PLAN_NOT_FOUND, what="plan")
        query = (
            select(Repository)
            .join(RepositoryVault, RepositoryVault.repository_id == Repository.id)
            .where(RepositoryVault.plan_id == plan.id)
        )
        organization_id = plan.organization_id
    else:
        plan = None
        query = select(Repository).where(Repository.organization_id == organization_id)
    organization = get_by_id(
        session,
        Organization,
        organization_id,
        code=codes.ORGANIZATION_NOT_FOUND,
        what="organization",
    )
    repositories = session.scalars(query.order_by(Repository.name, Repository.id)).all()
    return organization, plan, list(repositories)


def _check_names(prefix: str, repositories: list[Repository]) -> None:
    for repository in repositories:
        name = prefix + default_name(repository)
        if not REPOSITORY_NAME.fullmatch(name):
            raise InvalidInput.field(
                "target.namePrefix",
                f"'{name}' is not a repository name: letters, digits, '.', '-', '_' "
                "(at most 100 with the prefix)",
            )


def _began_by(at: int) -> str:
    """Every snapshot id of a snapshot that began at or before `at` (unix ms) sorts at or
    below this (an id starts with its time, to the microsecond)."""
    at = min(max(at, 0), LAST_MS)
    moment = datetime.fromtimestamp(at // 1000, UTC)
    return moment.strftime("%Y%m%dT%H%M%S") + f"{at % 1000:03d}999Z"


def _vaults(
    runtime: Runtime, session: Session, repositories: list[Repository], only: Plan | None
) -> dict[str, list[tuple[Plan, Vault]]]:
    """Each repository's vaults (one per plan that backed it up; only `only`'s when a plan
    is named), each plan's storage opened once."""
    query = select(RepositoryVault).where(
        RepositoryVault.repository_id.in_([r.id for r in repositories])
    )
    if only is not None:
        query = query.where(RepositoryVault.plan_id == only.id)
    opened: dict[str, tuple[Plan, Backend, str | None]] = {}
    found: dict[str, list[tuple[Plan, Vault]]] = {}
    for row in session.scalars(query):
        if row.plan_id not in opened:
            plan = session.get(Plan, row.plan_id)
            assert plan is not None
            storage, password = vaults.plan_storage(session, runtime, plan)
            opened[row.plan_id] = (plan, open_backend(storage, runtime.box), password)
        plan, backend, password = opened[row.plan_id]
        vault = Vault(backend, vault_prefix(row.repository_id, plan.id), password=password)
        found.setdefault(row.repository_id, []).append((plan, vault))
    return found


def _snapshot_at(
    repository: Repository, held: list[tuple[Plan, Vault]], at: int
) -> tuple[Plan, str] | None:
    """The newest snapshot of the repository taken at or before `at`, with the plan whose
    vault holds it: as an export at `at` chooses (the highest id whose `createdAt` is at or
    before). An id says when its snapshot began, before it was complete, so only ids that
    began by then are candidates, and their manifests are read newest first until one was
    complete by then: one manifest read for most repositories, whatever their history."""
    bound = _began_by(at)
    candidates: list[tuple[str, Plan, Vault]] = []
    for plan, vault in held:
        try:
            complete, _ = vault.snapshot_ids()
        except Exception as exc:
            raise Conflict(
                codes.STORAGE_FAILED,
                f"the snapshots of {repository.name} (plan {plan.id}) cannot be listed: {exc}",
            ) from exc
        candidates += [
            (snapshot, plan, vault)
            for snapshot in complete
            if is_snapshot_id(snapshot) and snapshot <= bound
        ]
    for snapshot, plan, vault in sorted(candidates, key=lambda c: c[0], reverse=True):
        try:
            manifest = vault.manifest(snapshot)
        except Exception as exc:
            raise Conflict(
                codes.SNAPSHOT_UNREADABLE,
                f"snapshot {snapshot} of {repository.name} cannot be read ({exc}): restore "
                "that repository on its own (allowEarlier), or choose another time",
            ) from exc
        if manifest is not None and manifest.created_at <= at:
            return plan, snapshot
    return None


def _check_targets(
    runtime: Runtime, session: Session, chosen: list[Chosen], target: dict[str, Any]
) -> None:
    """Every target repository is new or empty (asked of the platform), or the call says
    overwrite (or dry run): all refused ones named in one 409."""
    names: dict[str, str] = {}
    for item in chosen:
        if item.name.lower() in names:
            raise Conflict(
                codes.RESTORE_NAMES_CLASH,
                f"{names[item.name.lower()]} and {item.repository.name} would both become "
                f"'{item.name}' in the target organization",
            )
        names[item.name.lower()] = item.repository.name
    if target["overwrite"] or target["dryRun"]:
        return
    refused = []
    for item in chosen:
        try:
            check_platform_target(
                session,
                runtime.box,
                runtime.http,
                repository=item.repository,
                target={**target, "name": item.name},
            )
        except Conflict as exc:
            refused.append(exc.detail)
    if refused:
        raise Conflict(
            codes.TARGET_NOT_EMPTY,
            f"{len(refused)} target repositories exist and are not empty (give a "
            "target.namePrefix, or set target.overwrite): " + "; ".join(refused),
        )


def _queue(
    session: Session, item: Chosen, target: dict[str, Any], batch: tuple[str, int], at: int
) -> RestoreQueued:
    task = service.new_task(
        session,
        kind="restore",
        worker_id=item.plan.worker_id,
        repository_id=item.repository.id,
        organization_id=item.repository.organization_id,
        params={
            "snapshotId": item.snapshot_id,
            "target": {**target, "name": item.name},
            "allowEarlier": False,
            "planId": item.plan.id,
            "at": at,
            "batchId": batch[0],
        },
        batch=batch,
    )
    return RestoreQueued(
        id=item.repository.id, name=item.name, snapshot_id=item.snapshot_id, task_id=task.id
    )


def restore_organization(
    runtime: Runtime, session: Session, body: OrganizationRestoreRequest
) -> OrganizationRestoreOut:
    """Check the whole request (reading with `session`), then queue one `restore` task per
    repository (a batch that runs `concurrency` at a time) in a write transaction of its
    own; nothing is written when any check fails."""
    at = parse_at(body.at, now=now_ms())
    wanted = body.target
    prefix = wanted.name_prefix
    source, plan, repositories = _source(session, body.id, body.plan_id)
    destination = get_by_id(
        session,
        Organization,
        wanted.organization_id,
        code=codes.ORGANIZATION_NOT_FOUND,
        what="organization",
    )
    if not readable(source.driver, source.api_url):
        raise InvalidInput.field("planId" if plan else "id", NOT_READABLE)
    if not writable(destination.driver, destination.api_url):
        raise InvalidInput.field("target.organizationId", NOT_WRITABLE)
    _check_names(prefix, repositories)
    if destination.id == source.id and not prefix and wanted.overwrite:
        raise Conflict(
            codes.RESTORE_ONTO_ORIGINALS,
            "restoring an organization into itself under the same names with overwrite "
            "would force-push over the original repositories: give a target.namePrefix",
        )
    chosen, skipped = [], []
    held = _vaults(runtime, session, repositories, plan)
    for repository in repositories:
        found = _snapshot_at(repository, held.get(repository.id, []), at)
        if found is None:
            skipped.append(repository.id)
            continue
        name = prefix + default_name(repository)
        chosen.append(Chosen(repository, found[0], found[1], name))
    if not chosen:
        raise Conflict(
            codes.NOTHING_TO_RESTORE,
            f"no repository of {'plan ' + plan.name if plan else source.name} has a snapshot "
            f"taken at or before {shown(at)}",
        )
    target = {
        "kind": "platform",
        "organizationId": destination.id,
        "overwrite": wanted.overwrite,
        "dryRun": wanted.dry_run,
    }
    _check_targets(runtime, session, chosen, target)
    batch = (new_id(), body.concurrency)
    # Checked; only now the write transaction, a short one (the reads and the platform's
    # answers above kept no other writer waiting).
    with runtime.db.session(write=True) as writing:
        queued = [_queue(writing, item, target, batch, at) for item in chosen]
    return OrganizationRestoreOut(
        batch_id=batch[0],
        task_ids=[q.task_id for q in queued],
        restores=queued,
        skipped=skipped,
    )
