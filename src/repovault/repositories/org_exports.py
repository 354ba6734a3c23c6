"""An organization, or a plan, taken away as ONE archive (issue 12 §2): the call's side.

    queue(session, organization_id | plan_id, at) -> one `orgexport` task
      what: every repository of the organization (snapshots of any plan), or every
        repository the plan backed up (that plan's snapshots only)
      when: `at`, an ISO 8601 time (UTC unless it names its offset) or unix milliseconds,
        not in the future; default: the time of the call, fixed in the task's params so a
        backup that ends meanwhile does not change what is exported
      where: the plan's storage and worker; for an organization, the storage of the plan
        that backed up one of its repositories last, on the organization's default worker
        (else the server's own), as a `remove` task of the organization runs

Everything is checked before the task exists (400 `GT1020`-`GT1022`, 404 for unknown ids,
409 `GT1023` when no repository has a backup at all). The worker's side is
`runner/export_org.py`. No HTTP here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.errors import Conflict, InvalidInput
from repovault.common.lookup import get_by_id
from repovault.organizations.models import Organization
from repovault.plans.models import Plan
from repovault.repositories.models import Repository
from repovault.tasks import service
from repovault.tasks.models import RepositoryVault
from repovault.workers.service import worker_or_embedded

KIND = "orgexport"
# An ISO 8601 time as people write it: a date, optionally a time (T or a space) and an offset.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?")
_EARLIEST = 946_684_800_000  # 2000-01-01: no snapshot is older (and no ms/s confusion)


def parse_at(at: int | str | None, *, now: int) -> int:
    """`at` as unix milliseconds: an integer as is, a string as an ISO 8601 time (UTC when it
    names no offset), None as `now`. 400 `GT1020` when it is no time, `GT1021` when it is
    later than `now`."""
    if at is None:
        return now
    if isinstance(at, str):
        text = at.strip()
        if not _ISO.fullmatch(text):
            raise InvalidInput.field(
                "at",
                f"not an ISO 8601 time (2026-11-28T12:00:00Z) nor unix milliseconds: {at!r}",
                code=codes.EXPORT_AT_INVALID,
            )
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            message = f"not a time: {exc}"
            raise InvalidInput.field("at", message, code=codes.EXPORT_AT_INVALID) from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        at = int(when.timestamp() * 1000)
    if at < _EARLIEST:
        message = "before 2000-01-01 (unix milliseconds, not seconds?)"
        raise InvalidInput.field("at", message, code=codes.EXPORT_AT_INVALID)
    if at > now:
        raise InvalidInput.field("at", "in the future", code=codes.EXPORT_AT_FUTURE)
    return at


def _scope(organization_id: str | None, plan_id: str | None) -> None:
    if (organization_id is None) == (plan_id is None):
        message = "give either id (an organization) or planId, not both"
        raise InvalidInput(
            codes.EXPORT_SCOPE_INVALID,
            message,
            errors={"id": [message], "planId": [message]},
        )


def _last_plan(session: Session, organization_id: str) -> Plan | None:
    """The plan that backed up one of the organization's repositories last."""
    return session.scalars(
        select(Plan)
        .join(RepositoryVault, RepositoryVault.plan_id == Plan.id)
        .join(Repository, Repository.id == RepositoryVault.repository_id)
        .where(Repository.organization_id == organization_id)
        .order_by(RepositoryVault.last_success.desc(), Plan.id)
        .limit(1)
    ).first()


def queue(
    session: Session,
    *,
    organization_id: str | None,
    plan_id: str | None,
    at: int | str | None,
    embedded_worker: str,
) -> str:
    """Queue the `orgexport` task (see the module's docstring); its id."""
    _scope(organization_id, plan_id)
    moment = parse_at(at, now=now_ms())
    params: dict[str, Any] = {"at": moment}
    if plan_id is not None:
        plan = get_by_id(session, Plan, plan_id, code=codes.PLAN_NOT_FOUND, what="plan")
        organization = session.get(Organization, plan.organization_id)
        assert organization is not None
        backed = session.scalar(select(RepositoryVault).where(RepositoryVault.plan_id == plan.id))
        if backed is None:
            raise Conflict(codes.EXPORT_NOTHING, f"plan {plan.id} has backed up no repository")
        worker, storage, params["fromPlan"] = plan.worker_id, plan.storage_id, plan.id
        what = f"plan {plan.name}"
    else:
        organization = get_by_id(
            session,
            Organization,
            organization_id,
            code=codes.ORGANIZATION_NOT_FOUND,
            what="organization",
        )
        last = _last_plan(session, organization.id)
        if last is None:
            raise Conflict(
                codes.EXPORT_NOTHING,
                f"no repository of organization {organization.id} has a backup",
            )
        worker = worker_or_embedded(session, organization.default_worker_id, embedded_worker)
        storage, what = last.storage_id, f"organization {organization.name}"
    params.update(storageId=storage, name=organization.name, scope=what)
    task = service.new_task(
        session, kind=KIND, worker_id=worker, organization_id=organization.id, params=params
    )
    return task.id
