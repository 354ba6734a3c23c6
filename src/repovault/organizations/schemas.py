"""Bodies of the `/git/organizations/*` calls."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from repovault.common.wire import Id, Int32, RequestModel, ResponseModel

Token = Annotated[str, Field(max_length=10_000)]


class GitHubAppIn(RequestModel):
    """A GitHub App installation to authenticate as (driver 1), instead of a token."""

    app_id: int = Field(ge=1, le=2**53)
    installation_id: int = Field(ge=1, le=2**53)
    private_key: str = Field(min_length=1, max_length=20_000)  # PEM, sealed


class SshIn(RequestModel):
    """Git over SSH with this key (sealed, never returned) and these trusted host keys."""

    private_key: str | None = Field(default=None, min_length=1, max_length=20_000)
    known_hosts: str = Field(default="", max_length=65_536)  # known_hosts lines, plain
    accept_new_host_key: bool = False  # unknown hosts' keys pinned on first use


class OrganizationAdd(RequestModel):
    driver: Int32
    name: str = Field(min_length=1, max_length=400)
    api_url: str | None = Field(default=None, max_length=2000)
    token: str | None = Field(default=None, max_length=10_000)
    username: str | None = Field(default=None, max_length=400)
    default_worker_id: Id | None = None
    auto_add_new_repositories: bool = False
    is_read_only: bool = False
    # Further tokens of the same platform account kind, used in turn under rate limits.
    additional_tokens: list[Token] | None = Field(default=None, max_length=20)
    # Instead of `token`: a file holding it, read at every use (mounted secrets rotate)...
    token_file: str | None = Field(default=None, min_length=1, max_length=1000)
    # ...or a GitHub App installation (GitHub only).
    github_app: GitHubAppIn | None = None
    # Beside any of them: git transfers over SSH.
    ssh: SshIn | None = None


class OrganizationModify(RequestModel):
    id: Id
    name: str | None = Field(default=None, min_length=1, max_length=400)
    api_url: str | None = Field(default=None, max_length=2000)
    token: str | None = Field(default=None, max_length=10_000)
    username: str | None = Field(default=None, max_length=400)
    default_worker_id: Id | None = None
    auto_add_new_repositories: bool | None = None
    is_read_only: bool | None = None
    additional_tokens: list[Token] | None = Field(default=None, max_length=20)
    token_file: str | None = Field(default=None, max_length=1000)
    github_app: GitHubAppIn | None = None
    ssh: SshIn | None = None  # null: git over HTTPS again; without privateKey: the key kept


class OrganizationRemove(RequestModel):
    id: Id
    removedata: bool = False


class LastStatus(ResponseModel):
    successes: int
    warnings: int
    errors: int


class PlanSummary(ResponseModel):
    id: str
    name: str
    backup_type: int
    include_metadata: bool
    repo_count: int
    last_status: LastStatus
    plan_finished_time: int
    is_running: bool


class OrganizationOut(ResponseModel):
    id: str
    driver: Int32
    name: str
    api_url: str | None
    is_read_only: bool
    protected_repositories: int
    total_repositories: int
    missing_licences: int
    removed_repositories: int
    default_worker_id: str | None
    is_created_by_marketplace: bool
    synchronization_in_progress: bool
    plans: list[PlanSummary]
