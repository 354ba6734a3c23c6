"""Organizations: adding, changing, removing, listing with their counters and plans.

The list is a constant number of queries whatever the page holds: one COUNT, one page of
organizations joined to their per-organization repository counters, one query for their
plans and one for the plans' repository counts.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy import and_, case, distinct, func, select, update
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.enums import Driver
from repovault.common.errors import Conflict, InvalidInput, NotFound
from repovault.common.lookup import get_by_id
from repovault.common.paging import Column, Page, PageRequest, fetch
from repovault.common.secrets import SecretBox
from repovault.common.urls import check_no_credentials
from repovault.organizations.models import Organization, Wiki
from repovault.plans.models import Plan, PlanRepository
from repovault.providers.base import Access, ProviderAuthError, ProviderError, ProviderNotFound
from repovault.providers.registry import driver_for, has_driver
from repovault.repositories import data as repository_data
from repovault.repositories.models import Repository
from repovault.workers import service as workers

log = structlog.get_logger(__name__)

# The drivers' names, by number (as error messages show them).
DRIVERS = {int(driver): driver.label for driver in Driver}
API_URL_SCHEMES = {"http", "https"}


def _check_api_url(driver: int, api_url: str | None) -> str | None:
    if api_url is None or not api_url.strip():
        if driver == Driver.GITEA:
            raise InvalidInput.field("apiUrl", "Gitea/Forgejo organizations need the server's URL")
        return None
    api_url = api_url.strip()
    schemes = API_URL_SCHEMES | ({"file"} if driver == Driver.GIT else set())
    parts = urlsplit(api_url)
    if parts.scheme not in schemes or (parts.scheme != "file" and not parts.netloc):
        raise InvalidInput.field(
            "apiUrl", f"expected a {' or '.join(sorted(schemes))} URL, got {api_url!r}"
        )
    check_no_credentials(api_url, "apiUrl", instead="the organization's token")
    return api_url


def _worker_id(session: Session, worker_id: str | None, fallback: str) -> str:
    if worker_id is None:
        worker = workers.worker_by_name(session, fallback)
        if worker is None:
            raise NotFound(codes.WORKER_NOT_FOUND, f"no worker named {fallback!r}")
        return worker.id
    return workers.get_worker(session, worker_id).id


def get_organization(session: Session, organization_id: str) -> Organization:
    return get_by_id(
        session,
        Organization,
        organization_id,
        code=codes.ORGANIZATION_NOT_FOUND,
        what="organization",
    )


def _check_unique(session: Session, driver: int, name: str, api_url: str | None, own: str) -> None:
    clash = session.scalar(
        select(Organization.id).where(
            Organization.driver == driver,
            func.lower(Organization.name) == name.lower(),
            Organization.api_url.is_(None) if api_url is None else Organization.api_url == api_url,
            Organization.id != own,
        )
    )
    if clash:
        raise Conflict(
            codes.ORGANIZATION_EXISTS,
            f"{DRIVERS[driver]} organization {name!r} is added already ({clash})",
        )


def access_of(box: SecretBox, org: Organization) -> Access:
    """The organization's platform access, with its credentials opened."""
    token = box.open(org.token_sealed) if org.token_sealed else None
    extras = tuple(box.open(sealed) for sealed in org.extra_tokens_sealed or [])
    return Access(org.driver, org.name, org.api_url, org.username, token, extras)


def check_platform(http: httpx.Client, access: Access) -> None:
    """Ask the platform whether the organization and credentials work (registered drivers).
    The platform's own reason comes back in a 400."""
    if not has_driver(access.driver):
        return
    try:
        driver_for(access, http).check()
    except (ProviderAuthError, ProviderNotFound) as exc:
        log.warning("platform refused the organization", driver=access.driver, error=str(exc))
        raise InvalidInput(codes.PLATFORM_REFUSED, str(exc), errors={"token": [str(exc)]}) from exc
    except ProviderError as exc:
        log.warning("platform unreachable", driver=access.driver, error=str(exc))
        raise InvalidInput(
            codes.PLATFORM_UNREACHABLE,
            f"cannot check with the platform: {exc}",
            errors={"apiUrl": [str(exc)]},
        ) from exc


def add_organization(
    session: Session,
    box: SecretBox,
    http: httpx.Client,
    *,
    driver: int,
    name: str,
    api_url: str | None,
    token: str | None,
    username: str | None,
    default_worker_id: str | None,
    auto_add_new_repositories: bool,
    is_read_only: bool,
    embedded_worker: str,
    additional_tokens: list[str] | None = None,
) -> Organization:
    if driver not in DRIVERS:
        raise InvalidInput.field(
            "driver", f"unknown driver {driver}; one of {sorted(DRIVERS)} ({DRIVERS})"
        )
    name = name.strip()
    api_url = _check_api_url(driver, api_url)
    _check_unique(session, driver, name, api_url, own="")
    extras = tuple(t for t in additional_tokens or [] if t)
    check_platform(http, Access(driver, name, api_url, username, token, extras))
    org = Organization(
        driver=driver,
        name=name,
        api_url=api_url,
        username=username,
        token_sealed=box.seal(token) if token else None,
        extra_tokens_sealed=[box.seal(t) for t in extras],
        default_worker_id=_worker_id(session, default_worker_id, embedded_worker),
        auto_add_new_repositories=auto_add_new_repositories,
        is_read_only=is_read_only,
    )
    session.add(org)
    session.flush()
    log.info("organization added", organization_id=org.id, driver=DRIVERS[driver], name=name)
    return org


def modify_organization(
    session: Session,
    box: SecretBox,
    http: httpx.Client,
    *,
    organization_id: str,
    changes: dict[str, Any],
) -> None:
    """Apply the fields present in `changes` (API field names in snake_case)."""
    org = get_organization(session, organization_id)
    if "name" in changes and changes["name"] is not None:
        org.name = changes["name"].strip()
    if "api_url" in changes:
        org.api_url = _check_api_url(org.driver, changes["api_url"])
    _check_unique(session, org.driver, org.name, org.api_url, own=org.id)
    if "token" in changes:
        org.token_sealed = box.seal(changes["token"]) if changes["token"] else None
    if "username" in changes:
        org.username = changes["username"]
    if changes.get("default_worker_id") is not None:
        org.default_worker_id = workers.get_worker(session, changes["default_worker_id"]).id
    for flag in ("auto_add_new_repositories", "is_read_only"):
        if changes.get(flag) is not None:
            setattr(org, flag, changes[flag])
    if changes.get("additional_tokens") is not None:
        org.extra_tokens_sealed = [box.seal(t) for t in changes["additional_tokens"] if t]
    if changes.keys() & {"name", "api_url", "token", "username", "additional_tokens"}:
        check_platform(http, access_of(box, org))
    log.info("organization modified", organization_id=org.id, fields=sorted(changes))


def remove_organization(
    session: Session, box: SecretBox, *, organization_id: str, remove_data: bool
) -> None:
    org = get_organization(session, organization_id)
    if remove_data:
        ids = session.scalars(
            select(Repository.id).where(Repository.organization_id == org.id)
        ).all()
        wikis = session.scalars(select(Wiki.id).where(Wiki.organization_id == org.id)).all()
        repository_data.remove_backup_data(session, box, list(ids), list(wikis))
    session.delete(org)
    log.info("organization removed", organization_id=org.id, removed_data=remove_data)


def claim_sync(session: Session, organization_id: str) -> bool:
    """Mark a synchronization as running with one conditional UPDATE, so that of several
    requests or server replicas exactly one starts it; False when one already runs."""
    claimed = session.execute(
        update(Organization)
        .where(Organization.id == organization_id, ~Organization.synchronization_in_progress)
        .values(synchronization_in_progress=True, last_sync_start=now_ms())
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def end_sync(session: Session, organization_id: str) -> None:
    """The organization's synchronization is over (done, failed or canceled)."""
    session.execute(
        update(Organization)
        .where(Organization.id == organization_id)
        .values(synchronization_in_progress=False)
    )


def request_sync(session: Session, *, organization_id: str) -> bool:
    """Start a synchronization unless one runs (or the driver has no implementation: the
    request is recorded and nothing runs)."""
    org = get_organization(session, organization_id)
    org.sync_requested_at = now_ms()
    started = has_driver(org.driver) and claim_sync(session, org.id)
    log.info("synchronization requested", organization_id=org.id, started=started)
    return started


def _repository_counters() -> Any:
    r = Repository
    return (
        select(
            r.organization_id.label("org_id"),
            func.count().label("total"),
            func.sum(case((and_(r.licence_active, ~r.is_removed), 1), else_=0)).label("protected"),
            func.sum(case((r.is_removed, 1), else_=0)).label("removed"),
        )
        .group_by(r.organization_id)
        .subquery()
    )


def _missing_licences() -> Any:
    r = Repository
    return (
        select(
            r.organization_id.label("org_id"),
            func.count(distinct(r.id)).label("missing"),
        )
        .join(PlanRepository, PlanRepository.repository_id == r.id)
        .where(~r.licence_active)
        .group_by(r.organization_id)
        .subquery()
    )


def list_organizations(session: Session, request: PageRequest) -> tuple[Page, dict[str, Any]]:
    """A page of organizations (rows: Organization, total, protected, removed, missing) and,
    per organization id, its plans with their repository counts."""
    counters = _repository_counters()
    missing = _missing_licences()
    total = func.coalesce(counters.c.total, 0)
    protected = func.coalesce(counters.c.protected, 0)
    removed = func.coalesce(counters.c.removed, 0)
    missing_count = func.coalesce(missing.c.missing, 0)
    stmt = (
        select(Organization, total, protected, removed, missing_count)
        .outerjoin(counters, counters.c.org_id == Organization.id)
        .outerjoin(missing, missing.c.org_id == Organization.id)
    )
    o = Organization
    fields = {
        "id": Column(o.id, "id"),
        "driver": Column(o.driver, "int"),
        "name": Column(o.name, "str"),
        "apiurl": Column(o.api_url, "str"),
        "isreadonly": Column(o.is_read_only, "bool"),
        "protectedrepositories": Column(protected, "int"),
        "totalrepositories": Column(total, "int"),
        "missinglicences": Column(missing_count, "int"),
        "removedrepositories": Column(removed, "int"),
        "defaultworkerid": Column(o.default_worker_id, "id"),
        "iscreatedbymarketplace": Column(o.is_created_by_marketplace, "bool"),
        "synchronizationinprogress": Column(o.synchronization_in_progress, "bool"),
    }
    page = fetch(session, stmt, request, fields, Organization.id)
    org_ids = [row[0].id for row in page.rows]
    plans_by_org: dict[str, list[tuple[Plan, int]]] = defaultdict(list)
    if org_ids:
        plans = session.scalars(
            select(Plan).where(Plan.organization_id.in_(org_ids)).order_by(Plan.name, Plan.id)
        ).all()
        counts = plan_repository_counts(session, [p.id for p in plans])
        for plan in plans:
            plans_by_org[plan.organization_id].append((plan, counts.get(plan.id, 0)))
    return page, plans_by_org


def plan_repository_counts(session: Session, plan_ids: list[str]) -> dict[str, int]:
    if not plan_ids:
        return {}
    rows = session.execute(
        select(PlanRepository.plan_id, func.count())
        .where(PlanRepository.plan_id.in_(plan_ids))
        .group_by(PlanRepository.plan_id)
    ).all()
    return {plan_id: int(n) for plan_id, n in rows}
