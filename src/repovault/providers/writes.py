"""Writing into a platform, for a restore: the `PlatformWriter` Protocol and its GitHub-style
implementation (GitHub, and Gitea/Forgejo whose API follows GitHub's for these calls).

    repository(name) -> the target's repository, or None     (GET  /repos/{owner}/{name})
    create_repository(...)                                   (POST /orgs/{owner}/repos,
                                                               /user/repos for the token's own)
    list / create / close_issue: labels, milestones, issues, an issue's comments

Every request goes through the driver's `PlatformClient`; the clone URL the platform names
is accepted only on the API's own host (or github.com for api.github.com), so the
organization's token never goes to another host.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import (
    Access,
    PauseListener,
    ProviderError,
    ProviderNotFound,
    UnsupportedDriver,
)
from repovault.providers.gitea import GiteaDriver
from repovault.providers.github import GitHubDriver
from repovault.providers.http import PlatformClient

WRITERS = (1, 5)  # the drivers a restore can write into: GitHub, Gitea/Forgejo


@dataclass(frozen=True)
class TargetRepository:
    full_name: str
    clone_url: str
    empty: bool


@runtime_checkable
class PlatformWriter(Protocol):
    """A platform a restore can write into."""

    def repository(self, name: str) -> TargetRepository | None: ...

    def create_repository(
        self, name: str, *, description: str, private: bool
    ) -> TargetRepository: ...

    def set_default_branch(self, name: str, branch: str) -> None: ...

    def list(self, name: str, what: str) -> Iterator[Any]:
        """Every item of `labels`, `milestones`, `issues` (all states, no pull requests) or
        `issues/{number}/comments`."""

    def create(self, name: str, what: str, body: dict[str, Any]) -> Any: ...

    def close_issue(self, name: str, number: int) -> None: ...

    def label_ref(self, label: dict[str, Any]) -> Any:
        """How an issue names a label of the target when it is created."""

    def milestone_ref(self, milestone: dict[str, Any]) -> Any:
        """How an issue names a milestone of the target when it is created."""

    def git_credentials(self) -> Credentials | None: ...


def trusted_clone_url(clone_url: str, api_url: str) -> str:
    """`clone_url` when the token may go there: the API's own host (Enterprise Server,
    Gitea), or github.com for api.github.com. Anything else is refused, never pushed to."""
    clone = urlsplit(clone_url).netloc.lower()
    api = urlsplit(api_url).netloc.lower()
    if clone == api or (api == "api.github.com" and clone == "github.com"):
        return clone_url
    raise ProviderError(
        f"the platform named a clone URL on another host ({clone}, API at {api}): not pushed",
        permanent=True,
    )


class GitHubStyleWriter:
    """GitHub's REST API; `gitea` switches the few shapes Gitea answers differently (its
    `empty` flag, `limit` paging, `type=issues`, colours with `#`)."""

    def __init__(
        self,
        api: PlatformClient,
        owner: str,
        *,
        own_account: bool,
        gitea: bool,
        credentials: Credentials | None,
    ) -> None:
        self.api = api
        self.credentials = credentials
        self.owner = owner
        self.own_account = own_account
        self.gitea = gitea
        self.paging: dict[str, Any] = {"limit": 50} if gitea else {"per_page": 100}

    def _path(self, name: str, what: str = "") -> str:
        return f"/repos/{self.owner}/{name}" + (f"/{what}" if what else "")

    def repository(self, name: str) -> TargetRepository | None:
        try:
            item = self.api.get(self._path(name)).json()
        except ProviderNotFound:
            return None
        if self.gitea:
            empty = bool(item.get("empty"))
        else:
            empty = not self.api.get(self._path(name, "branches"), {"per_page": 1}).json()
        clone_url = trusted_clone_url(item["clone_url"], self.api.base_url)
        return TargetRepository(item["full_name"], clone_url, empty)

    def create_repository(self, name: str, *, description: str, private: bool) -> TargetRepository:
        path = "/user/repos" if self.own_account else f"/orgs/{self.owner}/repos"
        body = {"name": name, "description": description, "private": private}
        item = self.api.send("POST", path, body=body).json()
        clone_url = trusted_clone_url(item["clone_url"], self.api.base_url)
        return TargetRepository(item["full_name"], clone_url, True)

    def set_default_branch(self, name: str, branch: str) -> None:
        self.api.send("PATCH", self._path(name), body={"default_branch": branch})

    def list(self, name: str, what: str) -> Iterator[Any]:
        params: dict[str, Any] = dict(self.paging)
        if what in ("milestones", "issues"):
            params["state"] = "all"
        if what == "issues":
            params.update({"type": "issues"} if self.gitea else {"direction": "asc"})
        for item in self.api.pages(self._path(name, what), params):
            if what == "issues" and item.get("pull_request"):
                continue
            yield item

    def create(self, name: str, what: str, body: dict[str, Any]) -> Any:
        if what == "labels" and self.gitea and not str(body.get("color", "")).startswith("#"):
            body = {**body, "color": "#" + str(body.get("color") or "ededed")}
        return self.api.send("POST", self._path(name, what), body=body).json()

    def close_issue(self, name: str, number: int) -> None:
        self.api.send("PATCH", self._path(name, f"issues/{number}"), body={"state": "closed"})

    def label_ref(self, label: dict[str, Any]) -> Any:
        return label["id"] if self.gitea else label["name"]

    def milestone_ref(self, milestone: dict[str, Any]) -> Any:
        return milestone["id"] if self.gitea else milestone["number"]

    def git_credentials(self) -> Credentials | None:
        return self.credentials


def writer_for(
    access: Access, client: httpx.Client, on_pause: PauseListener | None = None
) -> PlatformWriter:
    """The writer of an organization's platform; `UnsupportedDriver` for the others."""
    if access.driver == 1:
        github = GitHubDriver(access, client, on_pause)
        own = github._owner_kind() == "me"
        return GitHubStyleWriter(
            github.api,
            access.name,
            own_account=own,
            gitea=False,
            credentials=github.git_credentials(),
        )
    if access.driver == 5:
        gitea = GiteaDriver(access, client, on_pause)
        own = gitea._owner_kind() == "users"
        return GitHubStyleWriter(
            gitea.api, access.name, own_account=own, gitea=True, credentials=gitea.git_credentials()
        )
    raise UnsupportedDriver(access.driver)
