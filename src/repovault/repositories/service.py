"""Repositories: listing, adding by URL (driver 6), removing (with or without data)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import structlog
from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.enums import Driver
from repovault.common.errors import InvalidInput, ServiceError
from repovault.common.lookup import get_by_id
from repovault.common.paging import Column, Page, PageRequest, fetch
from repovault.common.secrets import SecretBox
from repovault.common.urls import check_no_credentials
from repovault.organizations.models import Organization
from repovault.organizations.service import get_organization
from repovault.plans import membership
from repovault.plans.models import PlanItem
from repovault.repositories import data
from repovault.repositories.models import Repository

log = structlog.get_logger(__name__)

GIT_URL_SCHEMES = {"http", "https", "ssh", "git", "file"}
SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)\S+$")

r = Repository
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
}


def list_repositories(
    session: Session, *, organization_id: str, request: PageRequest
) -> tuple[Organization, Page, int]:
    """The organization, a page of its repositories, and how many of them are removed."""
    org = get_organization(session, organization_id)
    stmt = select(Repository).where(Repository.organization_id == org.id)
    page = fetch(session, stmt, request, REPOSITORY_FIELDS, Repository.id)
    removed = session.scalar(
        select(func.count())
        .select_from(Repository)
        .where(Repository.organization_id == org.id, Repository.is_removed)
    )
    return org, page, int(removed or 0)


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
    membership.refresh_organization(session, org.id)
    log.info("repositories added", organization_id=org.id, count=len(ids))
    return [repo.id for repo in ids]


def get_repository(session: Session, repository_id: Any) -> Repository:
    return get_by_id(
        session, Repository, repository_id, code=codes.REPOSITORY_NOT_FOUND, what="repository"
    )


def remove_repository(
    session: Session, box: SecretBox, *, repository: Repository, remove_data: bool
) -> None:
    if remove_data:
        data.remove_backup_data(session, box, [repository.id])
    session.execute(delete(PlanItem).where(PlanItem.item_id == repository.id))
    session.delete(repository)
    log.info("repository removed", repository_id=repository.id, removed_data=remove_data)


def remove_many(
    session: Session, box: SecretBox, *, ids: list[Any], remove_data: bool
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Remove each repository; (succeeded ids, [(id, error code, message)])."""
    succeeded: list[str] = []
    failed: list[tuple[str, str, str]] = []
    for raw in ids:
        try:
            repo = get_repository(session, raw)
            with session.begin_nested():
                remove_repository(session, box, repository=repo, remove_data=remove_data)
        except ServiceError as exc:
            failed.append((str(raw), exc.code, exc.detail))
        else:
            succeeded.append(repo.id)
    return succeeded, failed
