"""Bitbucket Cloud workspaces: app passwords (with the account's username) or access tokens
(bearer). Bitbucket Data Center is not implemented yet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import Access, PauseListener, RemoteRepository
from repovault.providers.facts import bitbucket_facts
from repovault.providers.http import (
    PlatformClient,
    basic_or_bearer,
    cloud_git_host,
    without_user,
)
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

API = "https://api.bitbucket.org/2.0"
GIT_HOST = "https://bitbucket.org"


BITBUCKET_LISTINGS = [
    Listing(
        PULL_REQUESTS,
        "pull-requests.json",
        "pull requests",
        "/pullrequests",
        {"state": ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]},
    ),
    Listing(ISSUES, "issues.json", "issues (issue tracker)", "/issues"),
]
BITBUCKET_PER_ITEM = [
    PerItem(
        frozenset({PULL_REQUESTS, COMMENTS}),
        "pull-request-comments.json",
        "pull request comments",
        parent="pull-requests.json",
        path="/pullrequests/{key}/comments",
        key="id",
        label="pull_request",
    ),
    PerItem(
        frozenset({ISSUES, COMMENTS}),
        "issue-comments.json",
        "issue comments",
        parent="issues.json",
        path="/issues/{key}/comments",
        key="id",
        label="issue",
    ),
]
BITBUCKET_PAGING = Paging(style="body", size={"pagelen": 50}, items="values", next="next")


class BitbucketDriver:
    def __init__(
        self, access: Access, client: httpx.Client, on_pause: PauseListener | None = None
    ) -> None:
        self.access = access
        self.api = PlatformClient(
            client,
            base_url=access.api_url or API,
            headers={},
            platform="Bitbucket",
            on_pause=on_pause,
            credentials=[basic_or_bearer(access.username, t) for t in access.tokens],
            git_hosts=cloud_git_host(access.api_url or API, API, GIT_HOST),
        )

    def check(self) -> None:
        self.api.get(f"/workspaces/{self.access.name}")

    def repositories(self) -> Iterator[RemoteRepository]:
        for item in self.api.body_pages(f"/repositories/{self.access.name}", {"pagelen": 100}):
            clone = next(
                (
                    link["href"]
                    for link in item.get("links", {}).get("clone", [])
                    if link.get("name") == "https"
                ),
                None,
            )
            if clone is None:
                continue
            url = without_user(clone)  # Bitbucket puts the viewer's name in the URL
            yield RemoteRepository(
                server_id=item["uuid"],
                name=item["full_name"],
                clone_url=url,
                is_public=not item.get("is_private", True),
                # A Bitbucket Cloud wiki is a git repository at `<clone URL>/wiki`.
                wiki_url=f"{url}/wiki" if item.get("has_wiki") else None,
                facts=bitbucket_facts(item),
            )

    def manages(self, server_id: str) -> bool:
        return True

    def export_metadata(
        self, repository: str, folder: Path, cache: PageCache, ignore: set[int]
    ) -> Export:
        """Pull requests and issues of `workspace/slug`, each with its comments."""
        return export(
            self.api,
            cache,
            f"/repositories/{repository}",
            folder,
            ignore,
            BITBUCKET_LISTINGS,
            BITBUCKET_PER_ITEM,
            BITBUCKET_PAGING,
        )

    def git_credentials(self) -> Credentials | None:
        return bitbucket_credentials(self.access)


def bitbucket_credentials(access: Access) -> Credentials | None:
    """Git over HTTPS on Bitbucket (Cloud and Data Center): the user name with an app password,
    or `x-token-auth` with an access token."""
    if not access.token:
        return None
    return Credentials(access.username or "x-token-auth", access.token)
