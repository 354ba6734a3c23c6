"""What the API asks of the task system: run or cancel a plan, restore, verify, synchronize,
and the snapshots a repository has. Each creates rows only; the task loop sends them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.context import Services
from repovault.common.errors import Conflict
from repovault.organizations import service as organizations
from repovault.plans.models import Plan
from repovault.plans.service import get_plan
from repovault.repositories.models import Repository
from repovault.repositories.service import get_repository
from repovault.storages.service import local_folders
from repovault.tasks import jobs, runs, scheduler, service
from repovault.tasks.models import RepositoryVault, Task
from repovault.tasks.runs import RunSummary
from repovault.tasks.runtime import queue_sync
from repovault.tasks.targets import check_target
from repovault.workers.service import worker_by_name

KINDS_BY_NUMBER = {1: "full", 2: "differential", 3: "incremental"}


def run_plan(services: Services, session: Session, *, plan_id: str, kind: int | None) -> list[str]:
    plan = get_plan(session, plan_id)
    if not plan.is_active:
        raise Conflict(codes.PLAN_INACTIVE, f"plan {plan.id} is not active; activate it first")
    now = now_ms()
    zone = services.settings.zone
    if kind:
        chosen = KINDS_BY_NUMBER[kind]
    else:
        scheme = (plan.settings.get("schedule") or {}).get("scheme", 1)
        chosen = "full" if scheme == 5 and not plan.last_full_run else "incremental"
        if scheme == 5 and plan.last_full_run:
            chosen = scheduler.run_kind(plan, None, at=now, zone=zone)
    created = runs.start_run(session, plan, due_at=now, kind=chosen, manual=True, now=now)
    if created is None:
        raise Conflict(codes.PLAN_RUNNING, f"plan {plan.id} was started a moment ago")
    return [task.id for task in created[1]]


def _cancel(session: Session, task_ids: list[str]) -> list[RunSummary]:
    """Cancel; the tasks that ended here (queued ones) are booked like any ended task."""
    now = now_ms()
    canceled, _running = service.request_cancel(session, task_ids, now=now)
    summaries = []
    for task in session.scalars(select(Task).where(Task.id.in_(canceled))):
        summary = runs.task_ended(session, task, now=now)
        if summary is not None:
            summaries.append(summary)
    return summaries


def cancel_plan(session: Session, *, plan_id: str) -> list[RunSummary]:
    plan = get_plan(session, plan_id)
    return _cancel(session, service.open_task_ids(session, plan_id=plan.id))


def cancel_task(session: Session, *, task_id: str) -> list[RunSummary]:
    task = service.get_task(session, task_id)
    if service.is_finished(task.status):
        raise Conflict(codes.TASK_FINISHED, f"task {task.id} has already ended")
    return _cancel(session, [task.id])


def _backed_up_by(session: Session, repository_id: str) -> Plan | None:
    """The plan that backed the repository up last (its worker reaches its storage)."""
    return session.scalars(
        select(Plan)
        .join(RepositoryVault, RepositoryVault.plan_id == Plan.id)
        .where(RepositoryVault.repository_id == repository_id)
        .order_by(RepositoryVault.last_success.desc())
        .limit(1)
    ).first()


def _repository_task(
    session: Session, repository: Repository, kind: str, params: dict[str, Any]
) -> Task:
    plan = _backed_up_by(session, repository.id)
    if plan is None:
        raise Conflict(codes.NO_SNAPSHOT, f"repository {repository.id} has no backup yet")
    return service.new_task(
        session,
        kind=kind,
        worker_id=plan.worker_id,
        plan=None,
        repository_id=repository.id,
        organization_id=repository.organization_id,
        params={**params, "planId": plan.id},
    )


def restore(
    services: Services,
    session: Session,
    *,
    repository_id: str,
    snapshot_id: str | None,
    target: dict[str, Any],
    allow_earlier: bool = False,
) -> str:
    repository = get_repository(session, repository_id)
    checked = check_target(target, services.settings, services.box, storages=local_folders(session))
    params = {"snapshotId": snapshot_id, "target": checked, "allowEarlier": allow_earlier}
    return _repository_task(session, repository, "restore", params).id


def verify(session: Session, *, repository_id: str, snapshot_id: str | None) -> str:
    repository = get_repository(session, repository_id)
    return _repository_task(session, repository, "verify", {"snapshotId": snapshot_id}).id


def synchronize(services: Services, session: Session, *, organization_id: str) -> str | None:
    """Queue a sync task unless one runs already (then None)."""
    if not organizations.request_sync(session, organization_id=organization_id):
        return None
    embedded = worker_by_name(session, services.settings.worker_id)
    task = queue_sync(session, organization_id, fallback_worker=embedded.id if embedded else None)
    return task.id if task else None


def snapshots(services: Services, session: Session, *, repository_id: str) -> list[dict[str, Any]]:
    """Every snapshot storage holds for the repository, newest first."""
    get_repository(session, repository_id)
    found = []
    for plan, vault in jobs.snapshot_vaults(services, repository_id):
        try:
            manifests = vault.manifests()
        except Exception as exc:
            raise Conflict(
                codes.STORAGE_FAILED, f"the snapshots of plan {plan.id} cannot be read: {exc}"
            ) from exc
        found += [
            {
                "id": m.id,
                "createdAt": m.created_at,
                "kind": m.kind,
                "sizeBytes": m.stored_bytes,
                "refCount": len(m.content.refs),
                "planId": plan.id,
                "storageId": plan.storage_id,
                "parentId": m.parent,
            }
            for m in manifests.values()
        ]
    found.sort(key=lambda s: (s["createdAt"], s["id"]), reverse=True)
    return found
