"""Organizations: adding, changing, removing, listing with their counters and plans.

The list is a constant number of queries whatever the page holds: one COUNT, one page of
organizations joined to their per-organization repository counters, and one query for their
plans with each plan's repository count.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy import Integer, and_, bindparam, case, cast, distinct, func, select, update
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.enums import Driver
from repovault.common.errors import Conflict, InvalidInput
from repovault.common.lookup import get_by_id
from repovault.common.paging import Column, Page, PageRequest, fetch
from repovault.common.secrets import SecretBox
from repovault.common.urls import check_no_credentials
from repovault.organizations import credentials
from repovault.organizations.credentials import Credential
from repovault.organizations.models import Organization, Wiki
from repovault.plans.models import Plan, PlanRepository
from repovault.providers.base import (
    Access,
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
)
from repovault.providers.registry import driver_for, has_driver
from repovault.repositories.models import Repository
from repovault.tasks.service import queue_removal
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
    """The organization's platform access, with its credentials opened (a token file read
    now: `ProviderAuthError` naming it when it cannot be)."""
    if org.token_file:
        token: str | None = credentials.read_token_file(org.token_file)
    else:
        token = box.open(org.token_sealed) if org.token_sealed else None
    extras = tuple(box.open(sealed) for sealed in org.extra_tokens_sealed or [])
    app = credentials.open_app(box, org.github_app_sealed) if org.github_app_sealed else None
    ssh = credentials.ssh_of(box, org)
    return Access(org.driver, org.name, org.api_url, org.username, token, extras, app, ssh)


def _set_credential(box: SecretBox, org: Organization, credential: Credential) -> None:
    """The one credential the organization has from now on (the others cleared)."""
    org.token_sealed = box.seal(credential.token) if credential.token else None
    org.token_file = credential.token_file
    app = credential.github_app
    org.github_app_sealed = credentials.seal_app(box, app) if app else None


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
    credential: Credential | None = None,
    ssh: credentials.SshSetting | None = None,
) -> Organization:
    if driver not in DRIVERS:
        raise InvalidInput.field(
            "driver", f"unknown driver {driver}; one of {sorted(DRIVERS)} ({DRIVERS})"
        )
    name = name.strip()
    if not name:
        raise InvalidInput.field("name", "an organization needs a name")
    api_url = _check_api_url(driver, api_url)
    _check_unique(session, driver, name, api_url, own="")
    extras = tuple(t for t in additional_tokens or [] if t)
    credential = credentials.checked(
        driver, dataclasses.replace(credential or Credential(), token=token)
    )
    org = Organization(
        driver=driver,
        name=name,
        api_url=api_url,
        username=username,
        extra_tokens_sealed=[box.seal(t) for t in extras],
        default_worker_id=workers.worker_or_embedded(session, default_worker_id, embedded_worker),
        auto_add_new_repositories=auto_add_new_repositories,
        is_read_only=is_read_only,
    )
    _set_credential(box, org, credential)
    credentials.apply_ssh(box, org, ssh)
    check_platform(http, _access_checked(box, org))
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
        if not changes["name"].strip():
            raise InvalidInput.field("name", "an organization needs a name")
        org.name = changes["name"].strip()
    if "api_url" in changes:
        org.api_url = _check_api_url(org.driver, changes["api_url"])
    _check_unique(session, org.driver, org.name, org.api_url, own=org.id)
    _modify_credential(box, org, changes)
    if "ssh" in changes:  # null: git over HTTPS again
        credentials.apply_ssh(box, org, changes["ssh"])
    if "username" in changes:
        org.username = changes["username"]
    if changes.get("default_worker_id") is not None:
        org.default_worker_id = workers.get_worker(session, changes["default_worker_id"]).id
    for flag in ("auto_add_new_repositories", "is_read_only"):
        if changes.get(flag) is not None:
            setattr(org, flag, changes[flag])
    if changes.get("additional_tokens") is not None:
        org.extra_tokens_sealed = [box.seal(t) for t in changes["additional_tokens"] if t]
    if changes.keys() & {"name", "api_url", *CREDENTIAL_FIELDS, "username", "additional_tokens"}:
        check_platform(http, _access_checked(box, org))
    log.info("organization modified", organization_id=org.id, fields=sorted(changes))


CREDENTIAL_FIELDS = ("token", "token_file", "github_app")


def _modify_credential(box: SecretBox, org: Organization, changes: dict[str, Any]) -> None:
    """A token, token file or GitHub App in `changes` replaces the credential; `token: null`
    alone removes the token."""
    given = {name: changes[name] for name in CREDENTIAL_FIELDS if changes.get(name)}
    if given:
        credential = Credential(
            token=given.get("token"),
            token_file=given.get("token_file"),
            github_app=given.get("github_app"),
        )
        _set_credential(box, org, credentials.checked(org.driver, credential))
    elif "token" in changes and not org.token_file and not org.github_app_sealed:
        org.token_sealed = None


def _access_checked(box: SecretBox, org: Organization) -> Access:
    """`access_of`, with a token file that cannot be read refused as the caller's error."""
    try:
        return access_of(box, org)
    except ProviderAuthError as exc:
        raise InvalidInput.field("tokenFile", str(exc)) from exc


def remove_organization(
    session: Session, *, organization_id: str, remove_data: bool, embedded_worker: str
) -> str | None:
    """Remove the organization with its repositories and plans; with `remove_data`, their
    backup data goes too, as a `remove` task on the organization's worker (its id)."""
    org = get_organization(session, organization_id)
    task_id = None
    if remove_data:
        ids = session.scalars(
            select(Repository.id).where(Repository.organization_id == org.id)
        ).all()
        wikis = session.scalars(select(Wiki.id).where(Wiki.organization_id == org.id)).all()
        worker = workers.worker_or_embedded(session, org.default_worker_id, embedded_worker)
        task_id = queue_removal(
            session, repository_ids=list(ids), wiki_ids=list(wikis), worker_id=worker
        ).id
    session.delete(org)
    log.info("organization removed", organization_id=org.id, data_removal_task=task_id)
    return task_id


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


_r = Repository.__table__.c
_o = Organization.__table__.c
_p = Plan.__table__.c
_pr = PlanRepository.__table__.c

# Per organization: its repositories, protected ones, removed ones.
_COUNTERS = (
    select(
        _r.organization_id.label("org_id"),
        func.count().label("total"),
        func.sum(case((and_(_r.licence_active, ~_r.is_removed), 1), else_=0)).label("protected"),
        func.sum(case((_r.is_removed, 1), else_=0)).label("removed"),
    )
    .group_by(_r.organization_id)
    .subquery()
)
# Per organization: its repositories in a plan without a licence.
_MISSING = (
    select(_r.organization_id.label("org_id"), func.count(distinct(_r.id)).label("missing"))
    .join(PlanRepository.__table__, _pr.repository_id == _r.id)
    .where(~_r.licence_active)
    .group_by(_r.organization_id)
    .subquery()
)
# Integers on every database (PostgreSQL sums are numeric).
_TOTAL = cast(func.coalesce(_COUNTERS.c.total, 0), Integer)
_PROTECTED = cast(func.coalesce(_COUNTERS.c.protected, 0), Integer)
_REMOVED = cast(func.coalesce(_COUNTERS.c.removed, 0), Integer)
_MISSING_COUNT = cast(func.coalesce(_MISSING.c.missing, 0), Integer)
# A listed organization: the columns of `schemas.OrganizationOut`, in its order (no plans).
LISTED = (
    select(
        _o.id,
        _o.driver,
        _o.name,
        _o.api_url,
        _o.is_read_only,
        _PROTECTED,
        _TOTAL,
        _MISSING_COUNT,
        _REMOVED,
        _o.default_worker_id,
        _o.is_created_by_marketplace,
        _o.synchronization_in_progress,
    )
    .outerjoin(_COUNTERS, _COUNTERS.c.org_id == _o.id)
    .outerjoin(_MISSING, _MISSING.c.org_id == _o.id)
)
# The same rows, counted without the counters while no filter names one.
_COUNTED = select(_o.id)
ORGANIZATION_FIELDS = {
    "id": Column(_o.id, "id"),
    "driver": Column(_o.driver, "int"),
    "name": Column(_o.name, "str"),
    "apiurl": Column(_o.api_url, "str"),
    "isreadonly": Column(_o.is_read_only, "bool"),
    "protectedrepositories": Column(_PROTECTED, "int"),
    "totalrepositories": Column(_TOTAL, "int"),
    "missinglicences": Column(_MISSING_COUNT, "int"),
    "removedrepositories": Column(_REMOVED, "int"),
    "defaultworkerid": Column(_o.default_worker_id, "id"),
    "iscreatedbymarketplace": Column(_o.is_created_by_marketplace, "bool"),
    "synchronizationinprogress": Column(_o.synchronization_in_progress, "bool"),
}
# The plans of some organizations, each with its repository count: the columns of
# `schemas.PlanSummary` (its last status flattened), after the organization's id.
LISTED_PLANS = (
    select(
        _p.organization_id,
        _p.id,
        _p.name,
        _p.backup_type,
        _p.include_metadata,
        select(func.count()).where(_pr.plan_id == _p.id).scalar_subquery(),
        _p.last_successes,
        _p.last_warnings,
        _p.last_errors,
        _p.plan_finished_time,
        _p.is_running,
    )
    .where(_p.organization_id.in_(bindparam("organization_ids", expanding=True)))
    .order_by(_p.name, _p.id)
)


def list_organizations(session: Session, request: PageRequest) -> tuple[Page, dict[str, Any]]:
    """A page of organizations (rows: the columns of `LISTED`) and, per organization id,
    its plans (rows of `LISTED_PLANS`): three statements whatever the page holds."""
    page = fetch(session, LISTED, request, ORGANIZATION_FIELDS, _o.id, counted=_COUNTED, reuse=True)
    plans_by_org: dict[str, list[Any]] = defaultdict(list)
    if page.rows:
        ids = [row[0] for row in page.rows]
        for plan in session.execute(LISTED_PLANS, {"organization_ids": ids}):
            plans_by_org[plan[0]].append(plan)
    return page, plans_by_org
