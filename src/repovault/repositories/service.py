"""Repositories: listing, adding by URL (driver 6), removing (with or without data)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog
from sqlalchemy import Select, and_, bindparam, delete, func, select
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.enums import Driver
from repovault.common.errors import InvalidInput, NotFound, ServiceError
from repovault.common.ids import parse_guid
from repovault.common.lookup import get_by_id
from repovault.common.paging import Column, Page, PageRequest, fetch
from repovault.common.urls import check_no_credentials
from repovault.organizations.models import Organization
from repovault.organizations.service import get_organization
from repovault.plans.models import PlanItem
from repovault.repositories.models import Repository
from repovault.tasks.service import queue_removal
from repovault.workers.service import worker_or_embedded

log = structlog.get_logger(__name__)

GIT_URL_SCHEMES = {"http", "https", "ssh", "git", "file"}
SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)\S+$")

r = Repository.__table__.c
IS_PROTECTED = and_(r.licence_active, ~r.is_removed)
REPOSITORY_FIELDS = {
    "id": Column(r.id, "id"),
    "serverid": Column(r.server_id, "str"),
    "name": Column(r.name, "str"),
    "lastbackup": Column(r.last_backup, "int"),
    "lastsuccessfulbackup": Column(r.last_successful_backup, "int"),
    "nextbackup": Column(r.next_backup, "int"),
    "isprotected": Column(IS_PROTECTED, "bool"),
    "isremoved": Column(r.is_removed, "bool"),
    "status": Column(r.status, "int"),
    "lastbackuptaskstatus": Column(r.last_backup_task_status, "int"),
    "ispublic": Column(r.is_public, "bool"),
    # What the platform's listing says (docs/api.md, "Repository facts").
    "isfork": Column(r.is_fork, "bool"),
    "isarchived": Column(r.is_archived, "bool"),
    "topics": Column(r.topics, "topics"),
    "language": Column(r.language, "str"),
    "sizekb": Column(r.size_kb, "int"),
    "defaultbranch": Column(r.default_branch, "str"),
    "description": Column(r.description, "str"),
    "lastpushat": Column(r.last_push_at, "int"),
}
# The columns of a listed repository, in the order of `schemas.RepositoryOut`'s fields
# (`common.wire.wire_row` pairs them with its keys).
LISTED = select(
    r.id,
    r.server_id,
    r.name,
    r.last_backup,
    r.last_successful_backup,
    r.next_backup,
    IS_PROTECTED.label("is_protected"),
    r.is_removed,
    r.status,
    r.last_backup_task_status,
    r.is_public,
    r.is_fork,
    r.is_archived,
    r.topics,
    r.language,
    r.size_kb,
    r.default_branch,
    r.description,
    r.last_push_at,
).where(r.organization_id == bindparam("organization_id"))
_o = Organization.__table__.c
# The organization's synchronization state and how many of its repositories are removed;
# `_WITH_TOTAL` also how many it has (an unfiltered page's total: no COUNT of its own).
_ORGANIZATION = select(
    _o.synchronization_in_progress,
    _o.last_sync_start,
    select(func.count())
    .where(r.organization_id == _o.id, r.is_removed)
    .scalar_subquery()
    .label("removed"),
).where(_o.id == bindparam("organization_id"))
_WITH_TOTAL = _ORGANIZATION.add_columns(
    select(func.count()).where(r.organization_id == _o.id).scalar_subquery().label("total")
)


@dataclass(frozen=True)
class Listing:
    synchronization_in_progress: bool
    last_sync_start: int
    removed: int  # the organization's removed repositories, whatever the filters
    page: Page  # rows: the columns of `LISTED`


def list_repositories(session: Session, *, organization_id: str, request: PageRequest) -> Listing:
    """A page of an organization's repositories in SQL Core (no entities are loaded): two
    statements, three with filters."""
    guid = parse_guid(organization_id)
    stmt: Select[Any] = _ORGANIZATION if request.filters else _WITH_TOTAL
    org = session.execute(stmt, {"organization_id": guid}).first() if guid else None
    if org is None:
        raise NotFound(codes.ORGANIZATION_NOT_FOUND, f"no organization {organization_id!r}")
    page = fetch(
        session,
        LISTED,
        request,
        REPOSITORY_FIELDS,
        r.id,
        params={"organization_id": guid},
        reuse=True,
        total=None if request.filters else int(org[3]),
    )
    return Listing(bool(org[0]), int(org[1]), int(org[2]), page)


def _name_from_url(url: str) -> str:
    """`group/repo` for hosted URLs; the folder name for local (file://) ones."""
    parts = urlsplit(url)
    path = parts.path if "://" in url else url.split(":", 1)[1]
    name = path.strip("/").removesuffix(".git")
    if parts.scheme == "file":
        name = name.rsplit("/", 1)[-1]
    return name or url


def _check_url(url: str, field: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if SCP_LIKE.match(url):
        return url
    if parts.scheme not in GIT_URL_SCHEMES or (parts.scheme != "file" and not parts.netloc):
        raise InvalidInput.field(
            field, f"not a git URL: {url!r} (http, https, ssh, git, file or user@host:path)"
        )
    check_no_credentials(url, field, instead="the organization's token")
    return url


def add_repositories(session: Session, *, organization_id: str, urls: list[str]) -> list[str]:
    """Add repositories by URL to a Git (driver 6) organization; existing URLs keep their id."""
    org = get_organization(session, organization_id)
    if org.driver != Driver.GIT:
        raise InvalidInput(
            codes.ORGANIZATION_WRONG_DRIVER,
            "repositories are added by URL only to Git (driver 6) organizations; "
            "other platforms' repositories come from synchronization",
            errors={"organizationId": ["not a driver 6 organization"]},
        )
    checked = [_check_url(url, f"urls.{i}") for i, url in enumerate(urls)]
    existing = {
        repo.server_id: repo
        for repo in session.scalars(
            select(Repository).where(
                Repository.organization_id == org.id, Repository.server_id.in_(checked)
            )
        )
    }
    ids = []
    for url in checked:
        repo = existing.get(url)
        if repo is None:
            repo = Repository(
                organization_id=org.id, server_id=url, name=_name_from_url(url), url=url
            )
            session.add(repo)
            existing[url] = repo
        ids.append(repo)
    session.flush()
    log.info("repositories added", organization_id=org.id, count=len(ids))
    return [repo.id for repo in ids]


def get_repository(session: Session, repository_id: Any) -> Repository:
    return get_by_id(
        session, Repository, repository_id, code=codes.REPOSITORY_NOT_FOUND, what="repository"
    )


def remove_repositories(
    session: Session, *, ids: list[Any], remove_data: bool, embedded_worker: str
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Remove each repository: (succeeded ids, [(id, error code, message)]). With
    `remove_data`, the backup data of those removed goes too, as one `remove` task per
    worker (the organization's, else the server's own)."""
    removed: list[tuple[str, str]] = []  # (repository id, organization id)
    failed: list[tuple[str, str, str]] = []
    for raw in ids:
        try:
            repo = get_repository(session, raw)
        except ServiceError as exc:
            failed.append((str(raw), exc.code, exc.detail))
            continue
        removed.append((repo.id, repo.organization_id))
        session.execute(delete(PlanItem).where(PlanItem.item_id == repo.id))
        session.delete(repo)
        session.flush()  # a repeated id is then not found, as a removed one
    if remove_data and removed:
        _queue_removals(session, removed, embedded_worker)
    log.info("repositories removed", count=len(removed), removed_data=remove_data)
    return [repository_id for repository_id, _ in removed], failed


def _queue_removals(session: Session, removed: list[tuple[str, str]], embedded: str) -> None:
    by_worker: dict[str, list[str]] = {}
    for repository_id, organization_id in removed:
        org = session.get(Organization, organization_id)
        worker = worker_or_embedded(session, org.default_worker_id if org else None, embedded)
        by_worker.setdefault(worker, []).append(repository_id)
    for worker, repository_ids in by_worker.items():
        queue_removal(session, repository_ids=repository_ids, wiki_ids=[], worker_id=worker)
