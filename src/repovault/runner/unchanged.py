"""Unchanged costs nothing: a repository whose platform says it has not changed since its
last good snapshot is confirmed without starting git.

    the run's listing (fetched once per organization and run, ~1 request per 100
    repositories: GitHub `pushed_at`, GitLab `last_activity_at`, Gitea `updated_at`,
    Bitbucket Cloud `updated_on`)
      -> its time for this repository equals the one recorded at the last good snapshot made
         with git, and that backup began after it
      -> and the plan's metadata export (when it runs) found the pull requests as they were
      -> and fewer than `unchanged_git_every` runs in a row were confirmed this way
      => "unchanged since <time> (platform), no git"; else the usual ls-remote and fetch.

What the time does not follow (a pull request's head pushed to a fork: GitHub's
`refs/pull/N/head` changes, the repository's `pushed_at` does not; a ref changed by the
platform itself) is caught by the pull request document the metadata export reads anyway (a
pushed head changes the pull request's `head.sha` and `updated_at`: the document differs
from the one the last git backup saw), and without metadata by git every
`unchanged_git_every`-th run. A push after the run's listing was read is seen by the next
run, as one after ls-remote would be.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import structlog
from sqlalchemy import func, select

from repovault.common.clock import now_ms
from repovault.common.enums import Driver as DriverKind
from repovault.providers.base import Access, Driver, ProviderError
from repovault.repositories.models import Repository
from repovault.repositories.vaults import Target
from repovault.runner.execute import Job
from repovault.tasks.models import RepositoryVault, Task

log = structlog.get_logger(__name__)

# task.result keys read by plans/runs._remember_vault when the task ends well.
GIT_STARTED = "gitStartedAt"  # a backup made with git: when it began
SIGNAL = "platformChangedAt"  # ... and the listing's time it saw (None: none)
WITHOUT_GIT = "unchangedWithoutGit"  # confirmed unchanged without git


@dataclass
class _Listed:
    fetched_at: int
    times: dict[str, int | None]


_cache: dict[str, _Listed] = {}
_worth: dict[str, bool] = {}  # run id -> whether its listing is worth reading
SMALLEST_PAGE = 50
_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def carries_times(access: Access) -> bool:
    """Whether the platform's repository listing has a last-change time."""
    if access.driver == DriverKind.BITBUCKET:
        return access.api_url is None  # Bitbucket Cloud; Data Center lists none
    return access.driver in (DriverKind.GITHUB, DriverKind.GITLAB, DriverKind.GITEA)


def listed_time(
    organization_id: str, access: Access, driver: Driver, server_id: str, *, since: int
) -> tuple[bool, int | None]:
    """The repository's last-change time from a listing of its organization read at or
    after `since` (epoch ms; the task's creation): one listing per organization and run,
    shared by the run's tasks on this worker. (listed, time); listed is False when the
    listing could not be read (the caller goes the git way)."""
    with _guard:
        lock = _locks.setdefault(organization_id, threading.Lock())
    with lock:
        listed = _cache.get(organization_id)
        if listed is None or listed.fetched_at < since:
            fetched_at = now_ms()
            try:
                times = {
                    r.server_id: r.facts.last_push_at if r.facts else None
                    for r in driver.repositories()
                }
            except (ProviderError, httpx.HTTPError) as exc:
                # Remembered for the run as empty: its other tasks go to git without
                # asking the platform again.
                log.info("listing for unchanged repositories failed", error=str(exc))
                times = {}
            listed = _Listed(fetched_at, times)
            _cache[organization_id] = listed
    return server_id in listed.times, listed.times.get(server_id)


def times_of(organization_id: str, *, since: int) -> dict[str, int | None] | None:
    """The cached listing's times by server id, when read at or after `since`."""
    listed = _cache.get(organization_id)
    return listed.times if listed is not None and listed.fetched_at >= since else None


def forget(organization_id: str | None = None) -> None:
    """Drop the cached listings (tests; an organization removed)."""
    with _guard:
        if organization_id is None:
            _cache.clear()
        else:
            _cache.pop(organization_id, None)


def confirmed(vault: RepositoryVault | None, time: int | None, every: int) -> str | None:
    """Why the repository needs no git, or None when git must look."""
    if vault is None or time is None or vault.signal_at is None or every <= 1:
        return None
    if vault.signal_at != time or vault.git_started_at <= time:
        return None
    if vault.runs_without_git + 1 >= every:
        return None  # this run is the fallback: git looks at every ref
    return f"unchanged since {iso(time)} (platform), no git"


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


class Pulls:
    """The metadata documents of this export against those of the last backup made with
    git: a head pushed to a fork changes its pull request (`head.sha`, `updated_at`), not
    the repository's last-change time; any other change of the metadata also sends git to
    look (and a snapshot to keep the new documents)."""

    def __init__(self, cache: Path, documents: dict[str, Any]) -> None:
        self.file = cache / "metadata-seen-by-git.sha256"
        digest = hashlib.sha256()
        for name in sorted(documents):  # every document: pull requests, issues, ...
            digest.update(name.encode() + b"\0")
            digest.update(hashlib.sha256(Path(documents[name]).read_bytes()).digest())
        self.digest = digest.hexdigest() if documents else None

    @property
    def changed(self) -> bool:
        if self.digest is None:
            return False  # no metadata exported: git every Nth run is the fallback
        return not self.file.exists() or self.file.read_text() != self.digest

    def keep(self) -> None:
        if self.digest is not None:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            self.file.write_text(self.digest)


def worth_listing(job: Job, target: Target) -> bool:
    """Whether the run backs up enough of its organization for the listing to cost less
    than it saves: at least one repository per page of the listing (50 a page at the
    smallest), else ls-remote, which costs the platform's API nothing. Decided once per run
    and process."""
    run_id = job.task.run_id
    if run_id is None:
        return False
    with _guard:
        known = _worth.get(run_id)
    if known is not None:
        return known
    with job.runtime.db.session() as session:
        tasks = session.scalar(select(func.count()).where(Task.run_id == run_id)) or 0
        listed = (
            session.scalar(
                select(func.count()).where(
                    Repository.organization_id == target.organization.id, ~Repository.is_removed
                )
            )
            or 0
        )
    worth = tasks * SMALLEST_PAGE >= listed
    with _guard:
        _worth[run_id] = worth
    return worth


def check(
    job: Job, target: Target, driver: Driver, *, pulls_changed: bool
) -> tuple[str | None, int | None]:
    """(why the repository needs no git or None, the listing's time to record with a git
    backup)."""
    access, every = target.access, job.runtime.settings.unchanged_git_every
    if every <= 1 or job.task.params.get("force") or not carries_times(access):
        return None, None
    if not worth_listing(job, target):
        return None, None
    repository, since = target.repository, job.task.created_at
    listed, time = listed_time(
        target.organization.id, access, driver, repository.server_id, since=since
    )
    if not listed:
        return None, None
    with job.runtime.db.session() as session:
        vault = session.get(RepositoryVault, (target.repository.id, target.plan.id))
        reason = confirmed(vault, time, every)
    if reason is not None and pulls_changed:
        job.log("info", "the platform's metadata changed: git looks at every ref")
        reason = None
    return reason, time
