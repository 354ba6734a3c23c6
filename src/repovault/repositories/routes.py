"""`/git/repositories/*` calls."""

from __future__ import annotations

from typing import Any

from repovault.accounts.roles import READ_GIT, REMOVE_GIT, WRITE_GIT
from repovault.accounts.schemas import IdRequest
from repovault.api import signals
from repovault.api.calls import Calls
from repovault.api.context import Context
from repovault.common.errors import InvalidInput
from repovault.common.paging import Page, PageOf
from repovault.common.wire import wire_row
from repovault.organizations import syncing
from repovault.plans import membership
from repovault.repositories import (
    backups,
    contents,
    exports,
    items,
    licences,
    org_restore,
    service,
)
from repovault.repositories.schemas import (
    ActivationResult,
    AddRequest,
    ContentPage,
    ExportLinkOut,
    ExportLinkRequest,
    ExportManyOut,
    ExportManyRequest,
    ExportRequest,
    IdsRequest,
    IdsResponse,
    ItemDetail,
    ItemError,
    ItemOut,
    ItemRequest,
    ItemsRequest,
    OrganizationRestoreOut,
    OrganizationRestoreRequest,
    ReleaseDetail,
    ReleaseOut,
    ReleaseRequest,
    RemoveError,
    RemoveRequest,
    RemoveResult,
    RepositoriesPage,
    RepositoryOut,
    RepositoryPageRequest,
    RestoreRequest,
    SnapshotDocuments,
    SnapshotOut,
    SnapshotRequest,
    SnapshotsRequest,
    VerifyRequest,
)
from repovault.tasks.schemas import TaskIdResponse

calls = Calls("repositories")


@calls.post(
    "/git/repositories/getmany",
    body=RepositoryPageRequest,
    roles=READ_GIT,
    write=False,
    response=RepositoriesPage,
    quick=True,
)
def getmany(ctx: Context, body: RepositoryPageRequest) -> dict[str, Any]:
    """List an organization's repositories with their protection and backup status."""
    listing = service.list_repositories(ctx.session, organization_id=body.id, request=body)
    repositories = [wire_row(RepositoryOut, row) for row in listing.page.rows]
    return listing.page.envelope(
        {
            "synchronizationInProgress": listing.synchronization_in_progress,
            "lastSynchronizationRepositoriesStartTime": listing.last_sync_start,
            "repositories": repositories,
            "removedRepositories": listing.removed,
        }
    )


def _activation(ctx: Context, body: IdsRequest, *, active: bool) -> ActivationResult:
    success, errors = licences.set_licences(
        ctx.session, body.ids, active=active, pool=ctx.runtime.settings.licences
    )
    return ActivationResult(
        success=success, error=[ItemError(id=i, error_code=code) for i, code in errors]
    )


@calls.post("/git/repositories/activate", body=IdsRequest, roles=REMOVE_GIT, write=True)
def activate(ctx: Context, body: IdsRequest) -> ActivationResult:
    """Activate licences (LI5020 when the pool is exhausted, GT1001 for unknown ids)."""
    return _activation(ctx, body, active=True)


@calls.post("/git/repositories/deactivate", body=IdsRequest, roles=REMOVE_GIT, write=True)
def deactivate(ctx: Context, body: IdsRequest) -> ActivationResult:
    """Deactivate licences (GT1001 for unknown ids)."""
    return _activation(ctx, body, active=False)


@calls.post("/git/repositories/remove", body=RemoveRequest, roles=REMOVE_GIT, write=True)
def remove(ctx: Context, body: RemoveRequest) -> RemoveResult:
    """Remove a repository (`id`) or several (`ids`), with its backup data if `removedata`."""
    if body.ids is not None:
        ids = body.ids
    elif body.id is not None:
        ids = [service.get_repository(ctx.session, body.id).id]  # unknown: the call fails
    else:
        raise InvalidInput.field("id", "give the repository's id (or a list in 'ids')")
    succeeded, failed = service.remove_repositories(
        ctx.session,
        ids=ids,
        remove_data=body.removedata,
        embedded_worker=ctx.runtime.settings.worker_id,
    )
    if body.removedata and succeeded:
        signals.wake(ctx)
    return RemoveResult(
        succeeded_ids=succeeded,
        failed_ids=[i for i, _, _ in failed],
        errors=[RemoveError(id=i, error_code=c, message=m) for i, c, m in failed],
    )


@calls.post("/git/repositories/sync", body=IdRequest, roles=WRITE_GIT, write=True)
def sync(ctx: Context, body: IdRequest) -> None:
    """Synchronize the organization's repository list with its platform (in the background:
    `synchronizationInProgress` shows it)."""
    if syncing.synchronize(ctx.runtime, ctx.session, organization_id=body.id):
        ctx.after_commit.append(ctx.runtime.wake.set)


@calls.post("/git/repositories/add", body=AddRequest, roles=WRITE_GIT, write=True)
def add(ctx: Context, body: AddRequest) -> IdsResponse:
    """Add repositories by git URL to a Git (driver 6) organization."""
    ids = service.add_repositories(
        ctx.session, organization_id=body.organization_id, urls=body.urls
    )
    membership.refresh_organization(ctx.session, body.organization_id)
    return IdsResponse(ids=ids)


@calls.post("/git/repositories/restore", body=RestoreRequest, roles=WRITE_GIT, write=True)
def restore(ctx: Context, body: RestoreRequest) -> TaskIdResponse:
    """Restore a snapshot (the newest when none is named) to a folder, a git URL, or a new
    repository of an organization (GitHub, Gitea/Forgejo)."""
    task_id = backups.restore(
        ctx.runtime,
        ctx.session,
        repository_id=body.id,
        snapshot_id=body.snapshot_id,
        target=body.target,
        allow_earlier=body.allow_earlier,
    )
    signals.wake(ctx)
    return TaskIdResponse(task_id=task_id)


@calls.post("/git/repositories/verify", body=VerifyRequest, roles=WRITE_GIT, write=True)
def verify(ctx: Context, body: VerifyRequest) -> TaskIdResponse:
    """Verify a repository's snapshots (or one) by rebuilding them with git."""
    task_id = backups.verify(ctx.session, repository_id=body.id, snapshot_id=body.snapshot_id)
    signals.wake(ctx)
    return TaskIdResponse(task_id=task_id)


@calls.post(
    "/git/repositories/snapshots",
    body=SnapshotsRequest,
    roles=READ_GIT,
    write=False,
    response=PageOf[SnapshotOut],
)
def snapshots(ctx: Context, body: SnapshotsRequest) -> PageOf[SnapshotOut]:
    """The snapshots storage holds for a repository, newest first."""
    found = backups.snapshots(ctx.runtime, ctx.session, repository_id=body.id)
    start = (body.page - 1) * body.limit
    rows = found[start : start + body.limit]
    return Page(rows=[], total=len(found), page=body.page, limit=body.limit).of(SnapshotOut, rows)


# What a snapshot holds (issue 12 §1): read calls that open the snapshot in storage; 409 when
# the repository has no snapshot yet or its storage cannot be read.
CONTENTS_ERRORS = (400, 401, 403, 404, 409)


@calls.post(
    "/git/repositories/snapshotdocuments",
    body=SnapshotRequest,
    roles=READ_GIT,
    write=False,
    errors=CONTENTS_ERRORS,
)
def snapshot_documents(ctx: Context, body: SnapshotRequest) -> SnapshotDocuments:
    """The documents a snapshot (the newest when none is named) holds: kind, items, sizes."""
    return contents.documents(
        ctx.runtime, ctx.session, repository_id=body.id, snapshot_id=body.snapshot_id
    )


@calls.post(
    "/git/repositories/issues",
    body=ItemsRequest,
    roles=READ_GIT,
    write=False,
    response=ContentPage[ItemOut],
    errors=CONTENTS_ERRORS,
)
def issues(ctx: Context, body: ItemsRequest) -> ContentPage[ItemOut]:
    """A page of a snapshot's issues, searched and filtered (newest first)."""
    return items.issues(ctx.runtime, ctx.session, request=body)


@calls.post(
    "/git/repositories/issue", body=ItemRequest, roles=READ_GIT, write=False, errors=CONTENTS_ERRORS
)
def issue(ctx: Context, body: ItemRequest) -> ItemDetail:
    """One issue of a snapshot as stored, with its comments and its conversation as text."""
    return items.issue(
        ctx.runtime,
        ctx.session,
        repository_id=body.id,
        snapshot_id=body.snapshot_id,
        number=body.number,
    )


@calls.post(
    "/git/repositories/pullrequests",
    body=ItemsRequest,
    roles=READ_GIT,
    write=False,
    response=ContentPage[ItemOut],
    errors=CONTENTS_ERRORS,
)
def pull_requests(ctx: Context, body: ItemsRequest) -> ContentPage[ItemOut]:
    """A page of a snapshot's pull (merge) requests, searched and filtered (newest first)."""
    return items.pull_requests(ctx.runtime, ctx.session, request=body)


@calls.post(
    "/git/repositories/pullrequest",
    body=ItemRequest,
    roles=READ_GIT,
    write=False,
    errors=CONTENTS_ERRORS,
)
def pull_request(ctx: Context, body: ItemRequest) -> ItemDetail:
    """One pull request of a snapshot as stored, with its comments, reviews and review
    comments, and its conversation as text."""
    return items.pull_request(
        ctx.runtime,
        ctx.session,
        repository_id=body.id,
        snapshot_id=body.snapshot_id,
        number=body.number,
    )


@calls.post(
    "/git/repositories/releases",
    body=ItemsRequest,
    roles=READ_GIT,
    write=False,
    response=ContentPage[ReleaseOut],
    errors=CONTENTS_ERRORS,
)
def releases(ctx: Context, body: ItemsRequest) -> ContentPage[ReleaseOut]:
    """A page of a snapshot's releases with their stored asset files (newest first)."""
    return items.releases_page(ctx.runtime, ctx.session, request=body)


@calls.post(
    "/git/repositories/release",
    body=ReleaseRequest,
    roles=READ_GIT,
    write=False,
    errors=CONTENTS_ERRORS,
)
def release(ctx: Context, body: ReleaseRequest) -> ReleaseDetail:
    """One release of a snapshot (by its tag) as stored."""
    return items.release_detail(
        ctx.runtime, ctx.session, repository_id=body.id, snapshot_id=body.snapshot_id, tag=body.tag
    )


@calls.post(
    "/git/organizations/restore",
    body=OrganizationRestoreRequest,
    roles=WRITE_GIT,
    # Reads (storage, platforms) outside the write transaction; the tasks are written in
    # one of their own at the end (repositories/org_restore.py).
    write=False,
    response=OrganizationRestoreOut,
    errors=(400, 401, 403, 404, 409),
)
def restore_organization(ctx: Context, body: OrganizationRestoreRequest) -> OrganizationRestoreOut:
    """Restore every repository of an organization (or a plan) as it was at a time into an
    organization: one restore task each, `concurrency` at a time."""
    answer = org_restore.restore_organization(ctx.runtime, ctx.session, body)
    signals.wake(ctx)
    return answer


# Taking a snapshot away (issue 12 §2): an `export` task writes the archive to the plan's
# storage; a signed link, valid for an hour, downloads it without a token (`api/downloads.py`).


@calls.post("/git/repositories/export", body=ExportRequest, roles=WRITE_GIT, write=True)
def export(ctx: Context, body: ExportRequest) -> TaskIdResponse:
    """Export a snapshot (the newest when none is named) as a self-contained archive."""
    task_id = backups.export(
        ctx.session, repository_id=body.id, snapshot_id=body.snapshot_id, at=body.at
    )
    signals.wake(ctx)
    return TaskIdResponse(task_id=task_id)


@calls.post("/git/repositories/exportmany", body=ExportManyRequest, roles=WRITE_GIT, write=True)
def export_many(ctx: Context, body: ExportManyRequest) -> ExportManyOut:
    """Export every backed-up repository of an organization or a plan as it was at a time."""
    task_ids, skipped = backups.export_many(
        ctx.session, organization_id=body.organization_id, plan_id=body.plan_id, at=body.at
    )
    signals.wake(ctx)
    return ExportManyOut(task_ids=task_ids, skipped=skipped)


@calls.post(
    "/git/repositories/exportlink",
    body=ExportLinkRequest,
    roles=WRITE_GIT,
    write=False,
    errors=(400, 401, 403, 404, 409, 410),
)
def export_link(ctx: Context, body: ExportLinkRequest) -> ExportLinkOut:
    """An expiring link to a finished export's archive (no token needed to download)."""
    return exports.link(ctx.runtime, ctx.session, task_id=body.task_id)
