"""The driver Protocol and the errors every driver raises.

Vendor errors are translated here, once: a refused token is `ProviderAuthError`, a missing
organization or repository `ProviderNotFound`, a rate limit that outlasted the patience
`ProviderRateLimited(retry_after=...)`. Each carries `permanent`, so callers choose between
retrying later and giving up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from repovault.engine.git import Credentials
from repovault.engine.ssh import SshKey
from repovault.providers.pages import Export, PageCache


class ProviderError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ProviderAuthError(ProviderError):
    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class ProviderNotFound(ProviderError):
    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class ProviderShapeError(ProviderError):
    """The platform answered, but not the shape documented (an object for a list)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class ProviderRateLimited(ProviderError):
    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, permanent=False)
        self.retry_after = retry_after


class UnsupportedDriver(ProviderError):
    def __init__(self, driver: int) -> None:
        super().__init__(f"driver {driver} has no implementation in this build", permanent=True)


@dataclass(frozen=True)
class GitHubApp:
    """A GitHub App installation the organization authenticates as (instead of a token):
    installation tokens are minted from the app's private key (github_app.py)."""

    app_id: int
    installation_id: int
    private_key: str  # PEM

    def __repr__(self) -> str:  # never the key, in a log or a traceback
        return f"GitHubApp(app_id={self.app_id}, installation_id={self.installation_id})"


@dataclass(frozen=True)
class Access:
    """What a driver needs of an organization: where, who, and the credentials."""

    driver: int
    name: str
    api_url: str | None
    username: str | None
    token: str | None
    extra_tokens: tuple[str, ...] = ()
    github_app: GitHubApp | None = None
    ssh: SshKey | None = None  # git transfers over SSH with this key (engine/ssh.py)

    @property
    def tokens(self) -> list[str]:
        """Every token, the organization's own first."""
        return [t for t in (self.token, *self.extra_tokens) if t]


@dataclass(frozen=True)
class RemoteRepository:
    server_id: str  # the platform's own id: a rename keeps it
    name: str
    clone_url: str
    is_public: bool
    project_server_id: str | None = None  # Azure DevOps: the project it belongs to
    wiki_url: str | None = None  # the wiki, a git repository of its own, when it has one
    facts: Facts | None = None  # what the listing says about it, when it says anything


@dataclass(frozen=True)
class Facts:
    """What a platform's repository listing says about one repository (no extra request).
    `last_push_at` is the listing's last-change time in epoch milliseconds (GitHub
    `pushed_at`, GitLab `last_activity_at`, Gitea `updated_at`, Bitbucket `updated_on`)."""

    is_fork: bool = False
    is_archived: bool = False
    topics: tuple[str, ...] = ()
    language: str | None = None
    size_kb: int | None = None
    default_branch: str | None = None
    description: str | None = None
    last_push_at: int | None = None


@dataclass(frozen=True)
class RemoteProject:
    server_id: str
    name: str


@dataclass(frozen=True)
class RemoteWiki:
    server_id: str
    name: str
    clone_url: str
    project_server_id: str | None


# Told of every pause for a rate limit: (seconds, why). The caller logs it (task log).
PauseListener = Callable[[float, str], None]


class Driver(Protocol):
    def check(self) -> None:
        """Raise ProviderAuthError / ProviderNotFound unless the organization is reachable."""

    def repositories(self) -> Iterator[RemoteRepository]:
        """Every repository of the organization, across all pages."""

    def manages(self, server_id: str) -> bool:
        """Whether a synchronization decides this repository's presence (it may mark it
        removed when it is not listed)."""

    def git_credentials(self) -> Credentials | None:
        """Credentials for git transfers of this organization's repositories."""


@runtime_checkable
class MetadataExporter(Protocol):
    """A platform whose issues, pull requests, ... can be exported (providers/metadata.py)."""

    def export_metadata(
        self, repository: str, folder: Path, cache: PageCache, ignore: set[int]
    ) -> Export: ...


@runtime_checkable
class ProjectsDriver(Driver, Protocol):
    """A platform that groups repositories in projects and has wikis (Azure DevOps)."""

    def projects(self) -> Iterator[RemoteProject]: ...

    def wikis(self) -> Iterator[RemoteWiki]: ...
