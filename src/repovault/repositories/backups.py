"""What a repository's backups offer through the API: restore, verify and export (each a task
on the worker of the plan that backed it up last) and the snapshots its vaults hold."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.errors import Conflict, InvalidInput, NotFound
from repovault.common.lookup import get_by_id
from repovault.engine.manifest import is_snapshot_id
from repovault.organizations.models import Organization
from repovault.plans.models import Plan
from repovault.repositories import contents, vaults
from repovault.repositories.models import Repository
from repovault.repositories.platform_targets import check_platform_target
from repovault.repositories.schemas import SnapshotOut
from repovault.repositories.service import get_repository
from repovault.repositories.targets import check_target
from repovault.runtime import Runtime
from repovault.storages.service import local_folders
from repovault.tasks import service
from repovault.tasks.models import RepositoryVault, Task


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
    session: Session,
    repository: Repository,
    kind: str,
    params: dict[str, Any],
    plan: Plan | None = None,
) -> Task:
    plan = plan or _backed_up_by(session, repository.id)
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
    runtime: Runtime,
    session: Session,
    *,
    repository_id: str,
    snapshot_id: str | None,
    target: dict[str, Any],
    allow_earlier: bool = False,
) -> str:
    repository = get_repository(session, repository_id)
    checked = check_target(target, runtime.settings, runtime.box, storages=local_folders(session))
    if checked["kind"] == "platform":
        check_platform_target(
            session, runtime.box, runtime.http, repository=repository, target=checked
        )
    params = {"snapshotId": snapshot_id, "target": checked, "allowEarlier": allow_earlier}
    return _repository_task(session, repository, "restore", params).id


def verify(session: Session, *, repository_id: str, snapshot_id: str | None) -> str:
    repository = get_repository(session, repository_id)
    return _repository_task(session, repository, "verify", {"snapshotId": snapshot_id}).id


def export(
    session: Session, *, repository_id: str, snapshot_id: str | None, at: int | None = None
) -> str:
    """Queue an `export` task: the snapshot named, else the newest taken at or before `at`
    (unix ms), else the newest, as an archive in the plan's storage. A malformed snapshot id
    is the snapshot's 404 at once."""
    repository = get_repository(session, repository_id)
    if snapshot_id is not None and not is_snapshot_id(snapshot_id):
        raise NotFound(codes.SNAPSHOT_NOT_FOUND, f"snapshot {snapshot_id} not found")
    params = {"snapshotId": snapshot_id, "at": at}
    return _repository_task(session, repository, "export", params).id


def export_many(
    session: Session, *, organization_id: str | None, plan_id: str | None, at: int | None
) -> tuple[list[str], list[str]]:
    """One `export` task per backed-up repository of an organization, or of a plan (then
    from that plan's snapshots only), each the newest snapshot at or before `at`: (task ids,
    ids of the repositories left out because they have no backup)."""
    if (organization_id is None) == (plan_id is None):
        raise InvalidInput.field("organizationId", "give either organizationId or planId")
    if plan_id is not None:
        plan = get_by_id(session, Plan, plan_id, code=codes.PLAN_NOT_FOUND, what="plan")
        repositories = session.scalars(
            select(Repository)
            .join(RepositoryVault, RepositoryVault.repository_id == Repository.id)
            .where(RepositoryVault.plan_id == plan.id)
            .order_by(Repository.name)
        ).all()
        params: dict[str, Any] = {"at": at, "fromPlan": plan.id}
        chosen: Plan | None = plan
    else:
        organization = get_by_id(
            session,
            Organization,
            organization_id,
            code=codes.ORGANIZATION_NOT_FOUND,
            what="organization",
        )
        repositories = session.scalars(
            select(Repository)
            .where(Repository.organization_id == organization.id)
            .order_by(Repository.name)
        ).all()
        params, chosen = {"at": at}, None
    tasks, skipped = [], []
    for repository in repositories:
        try:
            tasks.append(_repository_task(session, repository, "export", params, chosen).id)
        except Conflict:
            skipped.append(repository.id)
    return tasks, skipped


def snapshots(runtime: Runtime, session: Session, *, repository_id: str) -> list[SnapshotOut]:
    """Every snapshot storage holds for the repository, newest first, with the items of
    each kind of metadata it holds."""
    get_repository(session, repository_id)
    found = []
    for plan, vault in vaults.snapshot_vaults(runtime, repository_id):
        try:
            manifests = vault.manifests()
        except Exception as exc:
            raise Conflict(
                codes.STORAGE_FAILED, f"the snapshots of plan {plan.id} cannot be read: {exc}"
            ) from exc
        found += [
            SnapshotOut(
                id=m.id,
                created_at=m.created_at,
                kind=m.kind,
                size_bytes=m.stored_bytes,
                ref_count=len(m.content.refs),
                plan_id=plan.id,
                storage_id=plan.storage_id,
                parent_id=m.parent,
                metadata=contents.metadata_counts(vault, m),
            )
            for m in manifests.values()
        ]
    found.sort(key=lambda s: (s.created_at, s.id), reverse=True)
    return found
