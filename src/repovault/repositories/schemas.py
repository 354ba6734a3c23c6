"""Bodies of the `/git/repositories/*` calls."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from repovault.common.paging import PageRequest
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
