"""Bitbucket Data Center (and Server) at `apiUrl`: a project's repositories, with an HTTP
access token (bearer) or a username and password/token (basic). Metadata: pull requests
(all states) with their activities (comments, approvals, reviews, merges)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import Access, PauseListener, ProviderError, RemoteRepository
from repovault.providers.bitbucket import bitbucket_credentials
from repovault.providers.http import PlatformClient, api_root, basic_or_bearer
from repovault.providers.metadata import (
    COMMENTS,
    PULL_REQUESTS,
    Listing,
    PerItem,
    export,
)
from repovault.providers.pages import Export, PageCache
from repovault.providers.paging import Paging

DC_LISTINGS = [
    Listing(
        PULL_REQUESTS, "pull-requests.json", "pull requests", "/pull-requests", {"state": "ALL"}
    )
]
DC_PER_ITEM = [
    PerItem(
        frozenset({PULL_REQUESTS, COMMENTS}),
        "pull-request-activities.json",
        "pull request activities",
        parent="pull-requests.json",
        path="/pull-requests/{key}/activities",
        key="id",
        label="pullRequest",
    )
]
DC_PAGING = Paging(style="start", size={"limit": 100}, items="values")


class BitbucketServerDriver:
    def __init__(
        self, access: Access, client: httpx.Client, on_pause: PauseListener | None = None
    ) -> None:
        self.access = access
        base = api_root(access.api_url or "", "/rest/api/1.0")
        self.api = PlatformClient(
            client,
            base_url=base,
            headers={"Accept": "application/json"},
            platform="Bitbucket Data Center",
            on_pause=on_pause,
            credentials=[basic_or_bearer(access.username, t) for t in access.tokens],
        )

    def check(self) -> None:
        self.api.get(f"/projects/{self.access.name}")

    def repositories(self) -> Iterator[RemoteRepository]:
        start: int | None = 0
        while start is not None:
            page: dict[str, Any] = self.api.get(
                f"/projects/{self.access.name}/repos", {"start": start, "limit": 100}
            ).json()
            if not isinstance(page.get("values"), list):
                raise ProviderError("Bitbucket Data Center: expected a page of repositories")
            for item in page["values"]:
                clone = next(
                    (
                        link["href"]
                        for link in item.get("links", {}).get("clone", [])
                        if link.get("name") in ("http", "https")
                    ),
                    None,
                )
                if clone is None:
                    continue
                yield RemoteRepository(
                    server_id=str(item["id"]),
                    name=f"{item['project']['key']}/{item['slug']}",
                    clone_url=clone,
                    is_public=bool(item.get("public", False)),
                )
            start = None if page.get("isLastPage", True) else page.get("nextPageStart")

    def manages(self, server_id: str) -> bool:
        return True

    def export_metadata(
        self, repository: str, folder: Path, cache: PageCache, ignore: set[int]
    ) -> Export:
        """Pull requests of `PROJECT/slug` with their activities, as JSON documents."""
        project, _, slug = repository.partition("/")
        return export(
            self.api,
            cache,
            f"/projects/{project}/repos/{slug}",
            folder,
            ignore,
            DC_LISTINGS,
            DC_PER_ITEM,
            DC_PAGING,
        )

    def git_credentials(self) -> Credentials | None:
        return bitbucket_credentials(self.access)


def is_data_center(access: Access) -> bool:
    """Driver 2 with its own `apiUrl` is Data Center, unless that URL is Bitbucket Cloud's
    (`api.bitbucket.org`) or another root of Cloud's REST API 2.0 (one ending in `/2.0`: a
    proxy, a test double; Data Center's API is under `/rest/api/1.0`)."""
    url = (access.api_url or "").rstrip("/")
    return bool(url) and "api.bitbucket.org" not in url and not url.endswith("/2.0")
