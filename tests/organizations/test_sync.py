"""Bringing an organization's rows in step with its platform (`organizations/sync.py`), from a
hand-built listing: new repositories added, renamed ones kept by the platform's id, missing
ones removed (status 2) and returning ones active again; projects and wikis likewise."""

from __future__ import annotations

from sqlalchemy import select, update

from repovault.common.enums import Driver, RepositoryStatus, TaskStatus
from repovault.organizations.models import Organization, Project, Wiki
from repovault.organizations.sync import Listing, SyncResult, apply, clear_stale_flags
from repovault.providers.base import RemoteProject, RemoteRepository, RemoteWiki
from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from repovault.tasks import service
from tests.tasks.rows import Rows


def remote(
    server_id: str,
    name: str,
    *,
    project_server_id: str | None = None,
    wiki_url: str | None = None,
) -> RemoteRepository:
    return RemoteRepository(
        server_id=server_id,
        name=name,
        clone_url=f"https://git.example.com/{name}.git",
        is_public=False,
        project_server_id=project_server_id,
        wiki_url=wiki_url,
    )


def listing(*repositories: RemoteRepository, manages: bool = True) -> Listing:
    return Listing(
        repositories={r.server_id: r for r in repositories},
        projects=[],
        wikis=[],
        manages=lambda _server_id: manages,
    )


def _sync(rows: Rows, org: Organization, found: Listing) -> SyncResult:
    result = SyncResult()
    apply(rows.session, org, found, result)
    rows.session.flush()
    return result


def _by_server_id(rows: Rows, org: Organization) -> dict[str, Repository]:
    rows.session.expire_all()
    return {
        r.server_id: r
        for r in rows.session.scalars(
            select(Repository).where(Repository.organization_id == org.id)
        )
    }


def test_new_repositories_are_added(rows: Rows) -> None:
    org = rows.org(driver=Driver.GITHUB)
    result = _sync(
        rows,
        org,
        listing(
            remote("1", "acme/api", wiki_url="https://git.example.com/acme/api.wiki.git"),
            RemoteRepository("2", "acme/site", "https://git.example.com/site.git", True),
        ),
    )
    found = _by_server_id(rows, org)
    assert sorted(result.added) == sorted(r.id for r in found.values())
    api, site = found["1"], found["2"]
    assert (api.name, api.url, api.is_public) == (
        "acme/api",
        "https://git.example.com/acme/api.git",
        False,
    )
    assert api.wiki_url == "https://git.example.com/acme/api.wiki.git"
    assert (site.is_public, site.status, site.is_removed) == (True, RepositoryStatus.ACTIVE, False)
    assert not site.licence_active  # protecting a repository is the user's choice


def test_a_renamed_repository_keeps_its_row_licence_and_history(rows: Rows) -> None:
    org = rows.org(driver=Driver.GITHUB)
    _sync(rows, org, listing(remote("1", "acme/web")))
    row = _by_server_id(rows, org)["1"]
    row.licence_active, row.last_successful_backup = True, 42
    rows.session.flush()
    result = _sync(rows, org, listing(remote("1", "acme/website")))
    again = _by_server_id(rows, org)["1"]
    assert (result.added, result.renamed) == ([], 1)
    assert (again.id, again.name, again.url) == (
        row.id,
        "acme/website",
        "https://git.example.com/acme/website.git",
    )
    assert (again.licence_active, again.last_successful_backup) == (True, 42)


def test_missing_repositories_are_removed_and_returning_ones_active_again(rows: Rows) -> None:
    org = rows.org(driver=Driver.GITHUB)
    _sync(rows, org, listing(remote("1", "acme/api"), remote("2", "acme/old")))
    gone = _sync(rows, org, listing(remote("1", "acme/api")))
    old = _by_server_id(rows, org)["2"]
    assert gone.removed == 1
    assert (old.is_removed, old.status) == (True, RepositoryStatus.REMOVED)
    # A later listing without it does not count it again.
    assert _sync(rows, org, listing(remote("1", "acme/api"))).removed == 0
    back = _sync(rows, org, listing(remote("1", "acme/api"), remote("2", "acme/old")))
    returned = _by_server_id(rows, org)["2"]
    assert (back.restored, back.added) == (1, [])
    assert (returned.id, returned.is_removed, returned.status) == (
        old.id,
        False,
        RepositoryStatus.ACTIVE,
    )


def test_repositories_the_driver_does_not_answer_for_are_left_alone(rows: Rows) -> None:
    org = rows.org()
    by_url = rows.repo(org, "added-by-url")
    result = _sync(rows, org, listing(manages=False))
    assert result.removed == 0
    assert rows.fresh(by_url).is_removed is False


def test_projects_and_wikis_are_kept_by_the_platforms_id(rows: Rows) -> None:
    org = rows.org(driver=Driver.AZURE)
    first = Listing(
        repositories={"r1": remote("r1", "api", project_server_id="p1")},
        projects=[RemoteProject("p1", "Platform")],
        wikis=[RemoteWiki("w1", "Platform.wiki", "https://dev.azure.com/w1.git", "p1")],
        manages=lambda _server_id: True,
    )
    _sync(rows, org, first)
    project = rows.session.scalars(select(Project).where(Project.organization_id == org.id)).one()
    wiki = rows.session.scalars(select(Wiki).where(Wiki.organization_id == org.id)).one()
    assert _by_server_id(rows, org)["r1"].project_id == project.id
    assert (wiki.project_id, wiki.url) == (project.id, "https://dev.azure.com/w1.git")
    renamed = Listing(
        repositories=first.repositories,
        projects=[RemoteProject("p1", "Core platform")],
        wikis=[RemoteWiki("w1", "Core.wiki", "https://dev.azure.com/w1.git", "p1")],
        manages=first.manages,
    )
    _sync(rows, org, renamed)
    rows.session.expire_all()
    assert [tuple(r) for r in rows.session.execute(select(Project.id, Project.name))] == [
        (project.id, "Core platform")
    ]
    assert [tuple(r) for r in rows.session.execute(select(Wiki.id, Wiki.name))] == [
        (wiki.id, "Core.wiki")
    ]


# ---- start-up -----------------------------------------------------------------------------


def test_at_start_up_a_synchronization_with_no_task_left_is_over(runtime: Runtime) -> None:
    with runtime.db.session(write=True) as session:
        rows = Rows(session, runtime)
        orphaned, pending = rows.org(), rows.org()
        task = service.queue_sync(session, pending.id, fallback_worker=rows.embedded)
        assert task is not None
        assert task.status == TaskStatus.QUEUED
        session.execute(update(Organization).values(synchronization_in_progress=True))
        ids = orphaned.id, pending.id
    clear_stale_flags(runtime)
    with runtime.db.session() as session:
        flags = dict(
            session.execute(select(Organization.id, Organization.synchronization_in_progress)).all()
        )
    assert flags == {ids[0]: False, ids[1]: True}
