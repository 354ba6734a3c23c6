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
from repovault.organizations import syncing
from repovault.repositories import backups, licences, service
from repovault.repositories.schemas import (
    ActivationResult,
    AddRequest,
    IdsRequest,
    IdsResponse,
    ItemError,
    RemoveError,
    RemoveRequest,
    RemoveResult,
    RepositoriesPage,
    RepositoryOut,
    RepositoryPageRequest,
    RestoreRequest,
    SnapshotOut,
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
)
def getmany(ctx: Context, body: RepositoryPageRequest) -> dict[str, Any]:
    """List an organization's repositories with their protection and backup status."""
    org, page, removed = service.list_repositories(
        ctx.session, organization_id=body.id, request=body
    )
    repositories = [
        RepositoryOut(
            id=repo.id,
            server_id=repo.server_id,
            name=repo.name,
            last_backup=repo.last_backup,
            last_successful_backup=repo.last_successful_backup,
            next_backup=repo.next_backup,
            is_protected=repo.licence_active and not repo.is_removed,
            is_removed=repo.is_removed,
            status=repo.status,
            last_backup_task_status=repo.last_backup_task_status,
            is_public=repo.is_public,
        ).model_dump(by_alias=True)
        for (repo,) in page.rows
    ]
    return page.envelope(
        {
            "synchronizationInProgress": org.synchronization_in_progress,
            "lastSynchronizationRepositoriesStartTime": org.last_sync_start,
            "repositories": repositories,
            "removedRepositories": removed,
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
    box = ctx.runtime.box
    if body.ids is not None:
        succeeded, failed = service.remove_many(
            ctx.session, box, ids=body.ids, remove_data=body.removedata
        )
    elif body.id is not None:
        repo = service.get_repository(ctx.session, body.id)
        service.remove_repository(ctx.session, box, repository=repo, remove_data=body.removedata)
        succeeded, failed = [repo.id], []
    else:
        raise InvalidInput.field("id", "give the repository's id (or a list in 'ids')")
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
    return IdsResponse(ids=ids)


@calls.post("/git/repositories/restore", body=RestoreRequest, roles=WRITE_GIT, write=True)
def restore(ctx: Context, body: RestoreRequest) -> TaskIdResponse:
    """Restore a snapshot (the newest when none is named) to a folder or a git URL."""
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
def snapshots(ctx: Context, body: SnapshotsRequest) -> dict[str, Any]:
    """The snapshots storage holds for a repository, newest first."""
    found = backups.snapshots(ctx.runtime, ctx.session, repository_id=body.id)
    start = (body.page - 1) * body.limit
    rows = found[start : start + body.limit]
    return Page(rows=rows, total=len(found), page=body.page, limit=body.limit).envelope(rows)
