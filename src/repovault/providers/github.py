"""GitHub (github.com and Enterprise Server at `apiUrl`): organizations and user accounts,
classic and fine-grained personal access tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import (
    Access,
    PauseListener,
    ProviderAuthError,
    RemoteRepository,
)
from repovault.providers.facts import github_facts
from repovault.providers.github_app import TOKENS
from repovault.providers.http import PlatformClient, cloud_git_host, wiki_of
from repovault.providers.metadata import (
    COMMENTS,
    ISSUES,
    LABELS_MILESTONES,
    PULL_REQUESTS,
    RELEASES,
    Listing,
    PerItem,
    export,
)
from repovault.providers.pages import Export, PageCache
from repovault.providers.paging import Paging

API = "https://api.github.com"
GIT_HOST = "https://github.com"  # github.com's git host (Enterprise Server: its own host)
UPLOAD_HOST = "https://uploads.github.com"  # where github.com takes release files
PER_PAGE = 100


# Shared with Gitea, whose API follows GitHub's.
SHARED_LISTINGS = [
    Listing(COMMENTS, "issue-comments.json", "issue and pull request comments", "/issues/comments"),
    Listing(RELEASES, "releases.json", "releases", "/releases"),
    Listing(LABELS_MILESTONES, "labels.json", "labels", "/labels"),
    Listing(LABELS_MILESTONES, "milestones.json", "milestones", "/milestones", {"state": "all"}),
]
GITHUB_LISTINGS = [
    # GitHub lists pull requests among issues too: keep only real issues there.
    Listing(
        ISSUES,
        "issues.json",
        "issues",
        "/issues",
        {"state": "all", "direction": "asc"},
        keep=lambda item: "pull_request" not in item,
        since="since",
    ),
    Listing(
        PULL_REQUESTS,
        "pull-requests.json",
        "pull requests",
        "/pulls",
        {"state": "all", "direction": "asc"},
    ),
    Listing(COMMENTS, "review-comments.json", "pull request review comments", "/pulls/comments"),
    *SHARED_LISTINGS,
]
GITHUB_PER_ITEM = [
    PerItem(
        frozenset({PULL_REQUESTS, COMMENTS}),
        "reviews.json",
        "pull request reviews",
        parent="pull-requests.json",
        path="/pulls/{key}/reviews",
        key="number",
        label="pull_request",
    ),
]


def repository_of(item: dict[str, Any], *, changed: str = "pushed_at") -> RemoteRepository:
    """A repository from a GitHub-style item (GitHub, and Gitea whose API follows it);
    `changed` names the item's last-change time."""
    return RemoteRepository(
        server_id=str(item["id"]),
        name=item["full_name"],
        clone_url=item["clone_url"],
        is_public=not item.get("private", False),
        wiki_url=wiki_of(item["clone_url"]) if item.get("has_wiki") else None,
        facts=github_facts(item, changed=changed),
    )


class GitHubDriver:
    def __init__(
        self, access: Access, client: httpx.Client, on_pause: PauseListener | None = None
    ) -> None:
        self.access = access
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        self.api = PlatformClient(
            client,
            base_url=access.api_url or API,
            headers=headers,
            platform="GitHub",
            on_pause=on_pause,
            credentials=[{"Authorization": f"Bearer {t}"} for t in access.tokens],
            # github.com's own hosts beside its API: git, and release file uploads.
            git_hosts=cloud_git_host(access.api_url or API, API, GIT_HOST)
            + cloud_git_host(access.api_url or API, API, UPLOAD_HOST),
            fresh=(lambda: {"Authorization": f"Bearer {self._app_token()}"})
            if access.github_app
            else None,
        )
        self.client = client
        self._kind: str | None = None

    def _owner_kind(self) -> str:
        """ "org", "me" (the token's own account: private repositories too) or "user"."""
        if self._kind is None:
            if self.access.token:
                try:
                    me = self.api.get("/user").json()
                except ProviderAuthError as exc:
                    raise ProviderAuthError(f"GitHub refused the token: {exc}") from exc
                if str(me.get("login", "")).lower() == self.access.name.lower():
                    self._kind = "me"
                    return self._kind
            name = self.access.name
            self._kind = self.api.org_or_user(f"/orgs/{name}", f"/users/{name}", name)
        return self._kind

    def check(self) -> None:
        self._owner_kind()

    def repositories(self) -> Iterator[RemoteRepository]:
        kind = self._owner_kind()
        if kind == "org":
            items = self.api.pages(
                f"/orgs/{self.access.name}/repos", {"type": "all", "per_page": PER_PAGE}
            )
        elif kind == "me":
            items = self.api.pages("/user/repos", {"affiliation": "owner", "per_page": PER_PAGE})
        else:
            items = self.api.pages(f"/users/{self.access.name}/repos", {"per_page": PER_PAGE})
        for item in items:
            yield repository_of(item)

    def manages(self, server_id: str) -> bool:
        return True

    def export_metadata(
        self, repository: str, folder: Path, cache: PageCache, ignore: set[int]
    ) -> Export:
        """Issues, pull requests with reviews, comments, releases, labels and milestones of
        `owner/name`, as JSON documents in `folder`."""
        base = f"/repos/{repository}"

        def assets(release: Any) -> Iterator[tuple[str, str, dict[str, str]]]:
            for asset in release.get("assets", []):
                yield (
                    asset["name"],
                    f"{base}/releases/assets/{asset['id']}",
                    {"Accept": "application/octet-stream"},
                )

        return export(
            self.api,
            cache,
            base,
            folder,
            ignore,
            GITHUB_LISTINGS,
            GITHUB_PER_ITEM,
            Paging(size={"per_page": PER_PAGE}),
            assets,
        )

    def _app_token(self) -> str:
        """The GitHub App installation's current token (minted when about to expire)."""
        assert self.access.github_app is not None
        return TOKENS.token(self.client, self.api.base_url, self.access.github_app)

    def git_credentials(self) -> Credentials | None:
        if self.access.github_app:
            return Credentials("x-access-token", self._app_token())
        if not self.access.token:
            return None
        return Credentials(self.access.username or "x-access-token", self.access.token)
