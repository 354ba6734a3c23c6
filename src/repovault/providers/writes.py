"""Writing into a platform, for a restore: the `PlatformWriter` Protocol and its GitHub-style
implementation (GitHub, and Gitea/Forgejo whose API follows GitHub's for these calls); GitLab's
is writes_gitlab.py, Bitbucket Cloud's writes_bitbucket.py, Azure DevOps' writes_azure.py.

    repository(name) -> the target's repository, or None     (GET  /repos/{owner}/{name})
    create_repository(...)                                   (POST /orgs/{owner}/repos,
                                                               /user/repos for the token's own)
    list / create / close_issue: labels, milestones, issues, an issue's comments, releases
    numbered(name)       every issue and pull request, by number (one listing)
    create_issue         an issue, created closed where the platform allows it (Gitea's
                         `closed`); GitHub creates it open, and `close_issues` closes many
                         at once (GraphQL `closeIssue` mutations, 50 a request)
    create_pull          a pull request, or None when the platform refuses it (422/409:
                         no commits between its branches, one already open for them, ...)
    upload_asset         a release's file (GitHub: its `upload_url`; Gitea: multipart)

Every request goes through the driver's `PlatformClient`; the clone URL the platform names
is accepted only where the platform client trusts the credential to go (its API's origin and
the platform's own git and upload hosts: `PlatformClient.require_trusted`), so the
organization's token never goes to another host.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, Protocol, runtime_checkable

import httpx

from repovault.engine.git import Credentials
from repovault.providers.azure import AzureDevOpsDriver
from repovault.providers.base import (
    Access,
    PauseListener,
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    UnsupportedDriver,
)
from repovault.providers.bitbucket import BitbucketDriver
from repovault.providers.bitbucket_server import is_data_center
from repovault.providers.gitea import GiteaDriver
from repovault.providers.github import GitHubDriver
from repovault.providers.gitlab import GitLabDriver
from repovault.providers.http import PlatformClient, wiki_of
from repovault.providers.write_target import TargetRepository as TargetRepository
from repovault.providers.writes_azure import AzureWriter
from repovault.providers.writes_bitbucket import BitbucketWriter
from repovault.providers.writes_gitlab import GitLabWriter

WRITERS = (1, 2, 3, 4, 5)  # the drivers a restore writes into: all but plain Git
READERS = (1, 2, 3, 4, 5)  # the drivers whose snapshots it reads (Bitbucket: Cloud only)
# What a restore writes; a writer with a `holds` attribute holds only the kinds it names
# (Bitbucket: no labels, milestones or releases it can create; Azure DevOps: labels as
# `tags`, made by use, no milestones or releases).
HELD = frozenset({"labels", "milestones", "releases", "issues", "pulls", "comments"})


def writable(driver: int, api_url: str | None) -> bool:
    """Whether a restore can write into an organization of `driver` at `api_url`: the
    drivers of WRITERS, Bitbucket Cloud but not Data Center."""
    data_center = driver == 2 and is_data_center(Access(driver, "", api_url, None, None))
    return driver in WRITERS and not data_center


def readable(driver: int, api_url: str | None) -> bool:
    """Whether a restore reads the snapshots of an organization of `driver` at `api_url`:
    the drivers of READERS, Bitbucket Cloud but not Data Center (its documents differ)."""
    data_center = driver == 2 and is_data_center(Access(driver, "", api_url, None, None))
    return driver in READERS and not data_center


def holds(writer: object, kind: str) -> bool:
    """Whether the platform of `writer` can hold what a restore writes of `kind`."""
    return kind in getattr(writer, "holds", HELD)


@runtime_checkable
class PlatformWriter(Protocol):
    """A platform a restore can write into."""

    drafts: bool  # whether it has draft releases (a draft's tag is made when published)

    def repository(self, name: str) -> TargetRepository | None: ...

    def create_repository(
        self, name: str, *, description: str, private: bool
    ) -> TargetRepository: ...

    def set_default_branch(self, name: str, branch: str) -> None: ...

    def list(self, name: str, what: str) -> Iterator[Any]:
        """Every item of `labels`, `milestones`, `issues` (all states, no pull requests) or
        `issues/{number}/comments`."""

    def create(self, name: str, what: str, body: dict[str, Any]) -> Any: ...

    def close_issue(self, name: str, number: int, *, pull: bool = False) -> None: ...

    def close_issues(self, name: str, issues: Sequence[dict[str, Any]]) -> None:
        """Close several issues (not pull requests), as few requests as the platform allows;
        an issue's `state_reason` (GitHub: completed, not_planned) is kept."""

    def numbered(self, name: str) -> Iterator[Any]:
        """Every issue and pull request (all states), in number order; a pull request has a
        `pull_request` field."""

    def create_issue(self, name: str, body: dict[str, Any], *, closed: bool) -> Any: ...

    def create_pull(
        self,
        name: str,
        body: dict[str, Any],
        *,
        labels: Sequence[Any],
        milestone: Any,
        closed: bool,
    ) -> Any | None: ...

    def upload_asset(
        self, name: str, release: dict[str, Any], file: str, data: BinaryIO
    ) -> Any: ...

    def wiki_url(self, name: str) -> str | None:
        """The wiki's git URL when the repository has a wiki enabled, else None."""

    def label_ref(self, label: dict[str, Any]) -> Any:
        """How an issue names a label of the target when it is created."""

    def milestone_ref(self, milestone: dict[str, Any]) -> Any:
        """How an issue names a milestone of the target when it is created."""

    def git_credentials(self) -> Credentials | None: ...


CLOSE_BATCH = 50  # closeIssue mutations in one GraphQL request
REASONS = {"completed": "COMPLETED", "not_planned": "NOT_PLANNED"}  # IssueClosedStateReason


def _reason(issue: dict[str, Any]) -> dict[str, str]:
    """closeIssue's `stateReason` for an issue's REST `state_reason` (when it has one)."""
    reason = REASONS.get(str(issue.get("state_reason") or ""))
    return {"stateReason": reason} if reason else {}


def graphql_url(api_url: str) -> str:
    """GitHub's GraphQL endpoint beside its REST API: api.github.com/graphql, or
    <host>/api/graphql for Enterprise Server (REST under /api/v3)."""
    base = api_url.rstrip("/")
    return base.removesuffix("/v3") + "/graphql" if base.endswith("/api/v3") else base + "/graphql"


class GitHubStyleWriter:
    """GitHub's REST API; `gitea` switches the few shapes Gitea answers differently (its
    `empty` flag, `limit` paging, `type=issues`, colours with `#`)."""

    drafts = True

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
        clone_url = self.api.require_trusted(item["clone_url"], "clone URL")
        return TargetRepository(item["full_name"], clone_url, empty)

    def create_repository(self, name: str, *, description: str, private: bool) -> TargetRepository:
        path = "/user/repos" if self.own_account else f"/orgs/{self.owner}/repos"
        body = {"name": name, "description": description, "private": private}
        item = self.api.send("POST", path, body=body).json()
        clone_url = self.api.require_trusted(item["clone_url"], "clone URL")
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

    def close_issue(self, name: str, number: int, *, pull: bool = False) -> None:
        # GitHub closes a pull request through its issue; Gitea through the pull request.
        kind = "pulls" if pull and self.gitea else "issues"
        self.api.send("PATCH", self._path(name, f"{kind}/{number}"), body={"state": "closed"})

    def numbered(self, name: str) -> Iterator[Any]:
        # GitHub lists pull requests among issues; Gitea too when no `type` is asked.
        params = {**self.paging, "state": "all"}
        if not self.gitea:
            params["direction"] = "asc"
        return self.api.pages(self._path(name, "issues"), params)

    def create_issue(self, name: str, body: dict[str, Any], *, closed: bool) -> Any:
        """Gitea's CreateIssueOption takes `closed` (one request); GitHub's REST API creates
        every issue open: the caller closes it (`close_issues`, batched)."""
        if self.gitea:
            return self.create(name, "issues", {**body, "closed": closed})
        return self.create(name, "issues", body)

    def close_issues(self, name: str, issues: Sequence[dict[str, Any]]) -> None:
        ids = [issue.get("node_id") for issue in issues]
        if self.gitea or not all(ids):
            for issue in issues:
                self.close_issue(name, issue["number"], pull=bool(issue.get("pull_request")))
            return
        for start in range(0, len(ids), CLOSE_BATCH):
            chunk = ids[start : start + CLOSE_BATCH]
            names = [f"c{i}" for i in range(len(chunk))]
            declared = ", ".join(f"${n}: CloseIssueInput!" for n in names)
            fields = " ".join(
                f"{n}: closeIssue(input: ${n}) {{ issue {{ number }} }}" for n in names
            )
            query = f"mutation({declared}) {{ {fields} }}"
            variables = {
                n: {"issueId": issue["node_id"], **_reason(issue)}
                for n, issue in zip(names, issues[start : start + CLOSE_BATCH], strict=True)
            }
            url = graphql_url(self.api.base_url)
            answer = self.api.send("POST", url, body={"query": query, "variables": variables})
            errors = answer.json().get("errors")
            if errors:
                raise ProviderError(f"GitHub GraphQL: {errors[0].get('message')}")

    def create_pull(
        self,
        name: str,
        body: dict[str, Any],
        *,
        labels: Sequence[Any],
        milestone: Any,
        closed: bool,
    ) -> Any | None:
        extra: dict[str, Any] = {}
        if labels:
            extra["labels"] = labels
        if milestone is not None:
            extra["milestone"] = milestone
        # Gitea takes labels and milestone, and has no draft flag; GitHub the reverse.
        plain = {k: v for k, v in body.items() if k != "draft"}
        item = self._new_pull(name, {**plain, **extra} if self.gitea else body)
        if item is None and not self.gitea and body.get("draft"):
            # GitHub refuses drafts where the plan has none (private repositories of Free
            # organizations): a ready pull request rather than an issue.
            item = self._new_pull(name, plain)
        if item is None:
            return None
        number = item["number"]
        if self.gitea:
            if closed:
                self.close_issue(name, number, pull=True)
        elif extra or closed:  # GitHub: labels, milestone and state through the issue, at once
            patch = {**extra, **({"state": "closed"} if closed else {})}
            self.api.send("PATCH", self._path(name, f"issues/{number}"), body=patch)
        item["state"] = "closed" if closed else "open"
        return item

    def _new_pull(self, name: str, body: dict[str, Any]) -> Any | None:
        """`POST .../pulls`; None when the platform refuses it (a permanent 4xx)."""
        try:
            return self.api.send("POST", self._path(name, "pulls"), body=body).json()
        except (ProviderNotFound, ProviderAuthError):
            raise
        except ProviderError as refused:
            if not refused.permanent:
                raise
            return None

    def upload_asset(self, name: str, release: dict[str, Any], file: str, data: BinaryIO) -> Any:
        """The file's bytes streamed from `data` (an open file: its size gives the
        Content-Length GitHub requires; multipart rewinds it on a retry)."""
        if self.gitea:
            path = self._path(name, f"releases/{release['id']}/assets")
            files = {"attachment": (file, data, "application/octet-stream")}
            return self.api.send("POST", path, params={"name": file}, files=files).json()
        url = self.api.require_trusted(str(release["upload_url"]).split("{", 1)[0], "upload URL")
        headers = {"Content-Type": "application/octet-stream"}
        return self.api.send(
            "POST", url, params={"name": file}, headers=headers, content=data
        ).json()

    def wiki_url(self, name: str) -> str | None:
        item = self.api.get(self._path(name)).json()
        if not item.get("has_wiki"):
            return None
        return self.api.require_trusted(wiki_of(item["clone_url"]), "clone URL")

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
    if access.driver == 3:
        return GitLabWriter(GitLabDriver(access, client, on_pause))
    if access.driver == 4:
        return AzureWriter(AzureDevOpsDriver(access, client, on_pause))
    if access.driver == 2 and not is_data_center(access):
        return BitbucketWriter(BitbucketDriver(access, client, on_pause))
    raise UnsupportedDriver(access.driver)
