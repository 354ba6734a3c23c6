"""Gitea and Forgejo at `apiUrl`: organizations and users, access tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import (
    Access,
    PauseListener,
    ProviderNotFound,
    RemoteRepository,
)
from repovault.providers.http import PlatformClient
from repovault.providers.metadata import (
    COMMENTS,
    ISSUES,
    LABELS_MILESTONES,
    PULL_REQUESTS,
    RELEASES,
    Export,
    Listing,
    PageCache,
    PerItem,
    export,
)

GITEA_LISTINGS = [
    Listing(ISSUES, "issues.json", "issues", "/issues", {"state": "all", "type": "issues"}),
    Listing(PULL_REQUESTS, "pull-requests.json", "pull requests", "/pulls", {"state": "all"}),
    Listing(COMMENTS, "issue-comments.json", "issue and pull request comments", "/issues/comments"),
    Listing(RELEASES, "releases.json", "releases", "/releases"),
    Listing(LABELS_MILESTONES, "labels.json", "labels", "/labels"),
    Listing(LABELS_MILESTONES, "milestones.json", "milestones", "/milestones", {"state": "all"}),
]
GITEA_PER_ITEM = [
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


class GiteaDriver:
    def __init__(
        self, access: Access, client: httpx.Client, on_pause: PauseListener | None = None
    ) -> None:
        self.access = access
        base = (access.api_url or "").rstrip("/")
        if not base.endswith("/api/v1"):
            base += "/api/v1"
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
            try:
                self.api.get(f"/orgs/{self.access.name}")
                self._kind = "orgs"
            except ProviderNotFound:
                try:
                    self.api.get(f"/users/{self.access.name}")
                except ProviderNotFound as exc:
                    raise ProviderNotFound(
                        f"Gitea has no organization or user {self.access.name!r}"
                    ) from exc
                self._kind = "users"
        return self._kind

    def check(self) -> None:
        self._owner_kind()

    def repositories(self) -> Iterator[RemoteRepository]:
        kind = self._owner_kind()
        for item in self.api.pages(f"/{kind}/{self.access.name}/repos", {"limit": 50}):
            yield RemoteRepository(
                server_id=str(item["id"]),
                name=item["full_name"],
                clone_url=item["clone_url"],
                is_public=not item.get("private", False),
            )

    def manages(self, server_id: str) -> bool:
        return True

    def export_metadata(
        self, repository: str, folder: Path, cache: PageCache, ignore: set[int]
    ) -> Export:
        """Issues, pull requests with reviews, comments, releases, labels and milestones of
        `owner/name`, as JSON documents in `folder`."""
        return export(
            self.api,
            cache,
            f"/repos/{repository}",
            folder,
            ignore,
            GITEA_LISTINGS,
            GITEA_PER_ITEM,
            {"limit": 50},
        )

    def git_credentials(self) -> Credentials | None:
        if not self.access.token:
            return None
        return Credentials(self.access.username or "git", self.access.token)
