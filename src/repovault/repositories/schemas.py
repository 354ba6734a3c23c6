"""Bodies of the `/git/repositories/*` calls."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from repovault.common.paging import MAX_PAGE, PageRequest
from repovault.common.wire import Id, RequestModel, ResponseModel


class RepositoryPageRequest(PageRequest):
    id: Id


class IdsRequest(RequestModel):
    # Any JSON values: a malformed id is a per-item error, not a failure of the call.
    ids: list[Any] = Field(max_length=10_000)


class RemoveRequest(RequestModel):
    id: Any = None
    ids: list[Any] | None = Field(default=None, max_length=10_000)
    removedata: bool = False


class AddRequest(RequestModel):
    organization_id: Id
    urls: list[Annotated[str, Field(max_length=2000)]] = Field(min_length=1, max_length=10_000)


class RepositoryOut(ResponseModel):
    id: str
    server_id: str
    name: str
    last_backup: int
    last_successful_backup: int
    next_backup: int
    is_protected: bool
    is_removed: bool
    status: int
    last_backup_task_status: int
    is_public: bool


class RepositoriesResult(ResponseModel):
    synchronization_in_progress: bool
    last_synchronization_repositories_start_time: int
    repositories: list[RepositoryOut]
    removed_repositories: int


class RepositoriesPage(ResponseModel):
    """The answer of `/git/repositories/getmany`: a page whose `result` is an object."""

    current_page: int
    page_count: int
    total_entries: int
    result: RepositoriesResult


class ItemError(ResponseModel):
    id: str
    error_code: str


class ActivationResult(ResponseModel):
    success: list[str]
    error: list[ItemError]


class RemoveError(ResponseModel):
    id: str
    error_code: str
    message: str


class RemoveResult(ResponseModel):
    succeeded_ids: list[str]
    failed_ids: list[str]
    errors: list[RemoveError]


class IdsResponse(ResponseModel):
    ids: list[str]


class RestoreRequest(RequestModel):
    id: Id
    snapshot_id: Id | None = None
    target: dict[str, Any] = Field(max_length=20)
    # Restore the newest intact earlier snapshot when the newest one is damaged.
    allow_earlier: bool = False


class VerifyRequest(RequestModel):
    id: Id
    snapshot_id: Id | None = None


class SnapshotsRequest(RequestModel):
    id: Id
    limit: int = Field(default=25, ge=1, le=1000)
    page: int = Field(default=1, ge=1, le=MAX_PAGE)


class SnapshotOut(ResponseModel):
    id: str
    created_at: int
    kind: str
    size_bytes: int
    ref_count: int
    plan_id: str
    storage_id: str
    parent_id: str | None
