"""Bodies of the `/git/repositories/*` calls."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import Field, StrictBool

from repovault.common.paging import MAX_FILTER_TEXT, MAX_PAGE, PageRequest
from repovault.common.wire import Id, Int64, RequestModel, ResponseModel

Item = TypeVar("Item")


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
    # Beyond the reference: what the platform's listing says (docs/api.md).
    is_fork: bool
    is_archived: bool
    topics: list[str]
    language: str | None
    size_kb: int | None
    default_branch: str | None
    description: str | None
    last_push_at: int | None


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
    # Items of each kind of metadata the snapshot holds: {"issues": 12, "pullRequests": 3}.
    metadata: dict[str, int] = Field(default_factory=dict)


# What a snapshot holds (`repositories/contents.py`) --------------------------------------


class SnapshotRequest(RequestModel):
    id: Id
    snapshot_id: Id | None = None  # default: the newest


class ItemsRequest(PageRequest):
    """A page of a snapshot's issues, pull requests or releases."""

    id: Id
    snapshot_id: Id | None = None
    # Free text: a number (`12`, `#12`) or part of a title, an author or a label.
    search: str | None = Field(default=None, max_length=MAX_FILTER_TEXT)


class ItemRequest(RequestModel):
    id: Id
    snapshot_id: Id | None = None
    number: Int64


class ReleaseRequest(RequestModel):
    id: Id
    snapshot_id: Id | None = None
    tag: str = Field(min_length=1, max_length=MAX_FILTER_TEXT)


class DocumentOut(ResponseModel):
    name: str
    kind: str
    items: int | None  # None: not a list of items (a release's asset file)
    size_bytes: int
    stored_bytes: int


class SnapshotDocuments(ResponseModel):
    snapshot_id: str
    created_at: int
    documents: list[DocumentOut]


class ContentPage(ResponseModel, Generic[Item]):
    """A page of what a snapshot holds, with the snapshot it was read from."""

    current_page: int
    page_count: int
    total_entries: int
    snapshot_id: str
    result: list[Item]


class ItemOut(ResponseModel):
    """An issue or a pull request; `state` is open, closed or merged on every platform."""

    number: int
    title: str
    state: str
    author: str | None
    labels: list[str]
    created_at: int | None
    updated_at: int | None


class EntryOut(ResponseModel):
    """One entry of a conversation, as plain text (kind: comment, review, reviewComment or
    event)."""

    kind: str
    author: str | None
    created_at: int | None
    body: str
    state: str | None
    path: str | None
    line: int | None


class ItemDetail(ResponseModel):
    """One issue or pull request: the platform's JSON as stored (`item`, `comments`,
    `reviews`, `reviewComments`) and its conversation as plain text, oldest first."""

    snapshot_id: str
    summary: ItemOut
    body: str
    item: dict[str, Any]
    comments: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    review_comments: list[dict[str, Any]]
    conversation: list[EntryOut]


class ReleaseOut(ResponseModel):
    tag: str
    name: str | None
    author: str | None
    created_at: int | None
    draft: bool
    prerelease: bool
    assets: list[str]  # the files stored with it (documents release-assets/<key>/<file>)


class ReleaseDetail(ResponseModel):
    snapshot_id: str
    summary: ReleaseOut
    body: str
    item: dict[str, Any]


class ExportRequest(RequestModel):
    """Take one snapshot away as an archive (issue 12 §2)."""

    id: Id
    snapshot_id: Id | None = None  # default: the newest (taken at or before `at`)
    at: Int64 | None = None  # unix ms


class ExportManyRequest(RequestModel):
    """Every backed-up repository of an organization, or of a plan, as it was at `at` (unix
    ms; default: now): one export task, one archive, each."""

    organization_id: Id | None = None
    plan_id: Id | None = None
    at: Int64 | None = None


class ExportManyOut(ResponseModel):
    task_ids: list[str]
    skipped: list[str]  # repositories without a backup


class ExportLinkRequest(RequestModel):
    task_id: Id


class ExportLinkOut(ResponseModel):
    """Where the archive of a finished export downloads from, without a token, until
    `expiresAt` (unix milliseconds): a path on this server with its signed query."""

    url: str
    expires_at: int
    file_name: str
    size_bytes: int
    sha256: str


class OrganizationExportRequest(RequestModel):
    """Every repository of an organization (`id`), or every repository a plan backed up
    (`planId`), as it was at `at` (ISO 8601, UTC unless it names an offset, or unix ms;
    default: now), in one archive (issue 12 §2)."""

    id: Id | None = None
    plan_id: Id | None = None
    at: Int64 | Annotated[str, Field(max_length=100)] | None = None


# An organization (or a plan) at a point in time into another organization (issue 12 §3) ---


class OrganizationRestoreTarget(RequestModel):
    organization_id: Id
    overwrite: StrictBool = False
    dry_run: StrictBool = False
    # Put before each repository's own name (`restored-` + `app`); checked with the name.
    name_prefix: str = Field(default="", max_length=50)


class OrganizationRestoreRequest(RequestModel):
    """Every backed-up repository of an organization (`id`), or of a plan (`planId`: from
    that plan's snapshots only), as it was at `at`, restored into `target.organizationId`."""

    id: Id | None = None
    plan_id: Id | None = None
    # ISO 8601 (`2026-11-28T12:00`, UTC unless it names a zone) or unix ms; default: now.
    at: Annotated[str, Field(max_length=40)] | Int64 | None = None
    target: OrganizationRestoreTarget
    concurrency: int = Field(default=2, ge=1, le=16)  # restore tasks running at once


class RestoreQueued(ResponseModel):
    id: str  # the source repository
    name: str  # the repository it becomes in the target organization
    snapshot_id: str
    task_id: str


class OrganizationRestoreOut(ResponseModel):
    batch_id: str
    task_ids: list[str]
    restores: list[RestoreQueued]
    skipped: list[str]  # repositories without a snapshot taken at or before `at`
