"""Synchronization: keep an organization's repository list in step with its platform.

    list every repository (driver, all pages)
      -> upsert by the platform's own id (a rename keeps the row, its licence, its history)
      -> repositories gone from the platform: removed (status 2), their backups kept
      -> repositories that come back: active again

The plans' side (new repositories join all-repository and rule-based plans only when the
organization auto-adds, else they are recorded as excluded from those plans; membership
refreshed) is `plans.membership.after_sync`; `runner/sync.synchronize` runs both in one
transaction as the `sync` task on the organization's worker. `synchronizationInProgress` is
true from the request until the task ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from repovault.common.enums import RepositoryStatus, TaskStatus
from repovault.config import Settings
from repovault.organizations.models import Organization, Project, Wiki
from repovault.organizations.service import access_of, claim_sync
from repovault.providers.base import (
    Facts,
    ProjectsDriver,
    RemoteProject,
    RemoteRepository,
    RemoteWiki,
)
from repovault.providers.registry import driver_for, has_driver
from repovault.repositories.models import Repository
from repovault.runtime import Runtime

log = structlog.get_logger(__name__)


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)
    renamed: int = 0
    removed: int = 0
    restored: int = 0
    pauses: list[str] = field(default_factory=list)


def _upsert_projects(
    session: Session, org: Organization, projects: list[RemoteProject], wikis: list[RemoteWiki]
) -> dict[str, str]:
    """Projects and wikis by the platform's id; returns project server id -> row id."""
    rows = {
        p.server_id: p
        for p in session.scalars(select(Project).where(Project.organization_id == org.id))
    }
    for item in projects:
        row = rows.get(item.server_id)
        if row is None:
            row = Project(organization_id=org.id, server_id=item.server_id, name=item.name)
            session.add(row)
            rows[item.server_id] = row
        row.name = item.name
    session.flush()
    by_server = {server_id: row.id for server_id, row in rows.items()}
    wiki_rows = {
        w.server_id: w for w in session.scalars(select(Wiki).where(Wiki.organization_id == org.id))
    }
    for wiki_item in wikis:
        wiki = wiki_rows.get(wiki_item.server_id)
        if wiki is None:
            wiki = Wiki(organization_id=org.id, server_id=wiki_item.server_id)
            session.add(wiki)
        wiki.name, wiki.url = wiki_item.name, wiki_item.clone_url
        wiki.project_id = by_server.get(wiki_item.project_server_id or "")
    session.flush()
    return by_server


def _set_facts(repo: Repository, item: RemoteRepository) -> None:
    """What the listing says about the repository (a listing that says nothing: unknown)."""
    facts = item.facts or Facts()
    repo.is_fork, repo.is_archived = facts.is_fork, facts.is_archived
    repo.topics = list(facts.topics)
    repo.language, repo.size_kb = facts.language, facts.size_kb
    repo.default_branch, repo.description = facts.default_branch, facts.description
    repo.last_push_at = facts.last_push_at


def _apply(
    session: Session,
    org: Organization,
    remote: dict[str, RemoteRepository],
    manages: Callable[[str], bool],
    result: SyncResult,
    projects: dict[str, str],
) -> None:
    existing = {
        r.server_id: r
        for r in session.scalars(select(Repository).where(Repository.organization_id == org.id))
    }
    for server_id, item in remote.items():
        repo = existing.get(server_id)
        if repo is None:
            repo = Repository(
                organization_id=org.id,
                server_id=server_id,
                name=item.name,
                url=item.clone_url,
                is_public=item.is_public,
                wiki_url=item.wiki_url,
                project_id=projects.get(item.project_server_id or ""),
            )
            _set_facts(repo, item)
            session.add(repo)
            session.flush()
            result.added.append(repo.id)
            continue
        if repo.name != item.name:
            result.renamed += 1
        repo.name, repo.url, repo.is_public = item.name, item.clone_url, item.is_public
        repo.wiki_url = item.wiki_url
        _set_facts(repo, item)
        if item.project_server_id:
            repo.project_id = projects.get(item.project_server_id)
        if repo.is_removed:
            repo.is_removed, repo.status = False, RepositoryStatus.ACTIVE
            result.restored += 1
    for server_id, repo in existing.items():
        if server_id not in remote and not repo.is_removed and manages(server_id):
            repo.is_removed, repo.status = True, RepositoryStatus.REMOVED
            result.removed += 1


@dataclass
class Listing:
    """What the platform listed: repositories by its own id, projects and wikis, and which
    repositories the driver answers for (`manages`)."""

    repositories: dict[str, RemoteRepository]
    projects: list[RemoteProject]
    wikis: list[RemoteWiki]
    manages: Callable[[str], bool]


def fetch(runtime: Runtime, organization_id: str, result: SyncResult) -> Listing | None:
    """Everything the platform lists for the organization (no transaction open meanwhile);
    None when the organization was removed before its synchronization began."""

    def paused(seconds: float, reason: str) -> None:
        result.pauses.append(f"paused {seconds:.0f} s: {reason}")

    with runtime.db.session() as session:
        org = session.get(Organization, organization_id)
        if org is None:
            return None
        access = access_of(runtime.box, org)
    driver = driver_for(access, runtime.http, paused)
    remote = {item.server_id: item for item in driver.repositories()}
    projects: list[RemoteProject] = []
    wikis: list[RemoteWiki] = []
    if isinstance(driver, ProjectsDriver):
        projects, wikis = list(driver.projects()), list(driver.wikis())
    return Listing(remote, projects, wikis, driver.manages)


def apply(session: Session, org: Organization, listing: Listing, result: SyncResult) -> None:
    """The organization's rows brought in step with the listing (`result` says what changed);
    the plans' side is `plans.membership.after_sync`."""
    project_ids = _upsert_projects(session, org, listing.projects, listing.wikis)
    _apply(session, org, listing.repositories, listing.manages, result, project_ids)


def due_organizations(session: Session, settings: Settings, *, now: int) -> list[str]:
    """Claim the organizations whose periodic synchronization is due; their ids."""
    interval = settings.sync_interval_minutes * 60_000
    if interval <= 0:
        return []
    due = session.execute(
        select(Organization.id, Organization.driver).where(
            ~Organization.synchronization_in_progress,
            Organization.last_sync_start <= now - interval,
        )
    ).all()
    claimed = [oid for oid, driver in due if has_driver(driver) and claim_sync(session, oid)]
    for organization_id in claimed:
        log.info("scheduled synchronization", organization_id=organization_id)
    return claimed


def clear_stale_flags(runtime: Runtime) -> None:
    """At start-up: an organization marked as synchronizing with no sync task left to run
    (a server stopped in the middle of an older version's synchronization) is not."""
    from repovault.tasks.models import Task

    pending = select(Task.organization_id).where(
        Task.kind == "sync",
        Task.status.in_((TaskStatus.QUEUED, TaskStatus.RUNNING)),
        Task.organization_id.is_not(None),
    )
    with runtime.db.session(write=True) as session:
        session.execute(
            update(Organization)
            .where(Organization.synchronization_in_progress, Organization.id.not_in(pending))
            .values(synchronization_in_progress=False)
        )
