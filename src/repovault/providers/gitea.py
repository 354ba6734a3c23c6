"""Gitea and Forgejo at `apiUrl`: organizations and users, access tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import (
    Access,
    PauseListener,
    RemoteRepository,
)
from repovault.providers.github import GITHUB_PER_ITEM, SHARED_LISTINGS, repository_of
from repovault.providers.http import PlatformClient, api_root
from repovault.providers.metadata import (
    COMMENTS,
    ISSUES,
    PULL_REQUESTS,
    Listing,
    PerItem,
    export,
)
from repovault.providers.pages import Export, PageCache
from repovault.providers.paging import Paging

# Gitea's API follows GitHub's: the same documents, but for the listing of issues.
GITEA_LISTINGS = [
    Listing(
        ISSUES,
        "issues.json",
        "issues",
        "/issues",
        {"state": "all", "type": "issues"},
        since="since",
    ),
    Listing(PULL_REQUESTS, "pull-requests.json", "pull requests", "/pulls", {"state": "all"}),
    *SHARED_LISTINGS,
]
# Gitea has no list of a repository's review comments (GitHub's /pulls/comments): they are
# read per review, `/pulls/{index}/reviews/{id}/comments` (one answer, no paging), for the
# reviews that have any (`comments_count`), and labelled with their pull request's number.
GITEA_PER_ITEM = [
    *GITHUB_PER_ITEM,
    PerItem(
        frozenset({PULL_REQUESTS, COMMENTS}),
        "review-comments.json",
        "pull request review comments",
        parent="reviews.json",
        path="/pulls/{item[pull_request]}/reviews/{key}/comments",
        key="id",
        label="pull_request",
        label_from="pull_request",
        keep=lambda review: review.get("comments_count") != 0,
    ),
]


class GiteaDriver:
    def __init__(
        self, access: Access, client: httpx.Client, on_pause: PauseListener | None = None
    ) -> None:
        self.access = access
        base = api_root(access.api_url or "", "/api/v1")
        self.api = PlatformClient(
            client,
            base_url=base,
            headers={},
            platform="Gitea",
            on_pause=on_pause,
            credentials=[{"Authorization": f"token {t}"} for t in access.tokens],
        )
        self._kind: str | None = None

    def _owner_kind(self) -> str:
        if self._kind is None:
            name = self.access.name
            kind = self.api.org_or_user(f"/orgs/{name}", f"/users/{name}", name)
            self._kind = "orgs" if kind == "org" else "users"
        return self._kind

    def check(self) -> None:
        self._owner_kind()

    def repositories(self) -> Iterator[RemoteRepository]:
        kind = self._owner_kind()
        for item in self.api.pages(f"/{kind}/{self.access.name}/repos", {"limit": 50}):
            yield repository_of(item, changed="updated_at")

    def manages(self, server_id: str) -> bool:
        return True

    def export_metadata(
        self, repository: str, folder: Path, cache: PageCache, ignore: set[int]
    ) -> Export:
        """Issues, pull requests with reviews, comments, releases, labels and milestones of
        `owner/name`, as JSON documents in `folder`."""

        def assets(release: Any) -> Iterator[tuple[str, str, dict[str, str]]]:
            for asset in release.get("assets", []):
                yield asset["name"], asset["browser_download_url"], {}

        return export(
            self.api,
            cache,
            f"/repos/{repository}",
            folder,
            ignore,
            GITEA_LISTINGS,
            GITEA_PER_ITEM,
            Paging(size={"limit": 50}, page="page"),
            assets,
        )

    def git_credentials(self) -> Credentials | None:
        if not self.access.token:
            return None
        return Credentials(self.access.username or "git", self.access.token)
