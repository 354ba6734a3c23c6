"""GitLab (gitlab.com and self-managed at `apiUrl`): groups with their subgroups, and user
namespaces; personal, group and project access tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import (
    Access,
    PauseListener,
    ProviderNotFound,
    RemoteRepository,
)
from repovault.providers.facts import gitlab_facts
from repovault.providers.http import PlatformClient, api_root, wiki_of
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

API = "https://gitlab.com/api/v4"


GITLAB_LISTINGS = [
    Listing(
        ISSUES,
        "issues.json",
        "issues",
        "/issues",
        {"scope": "all", "state": "all", "sort": "asc"},
        since="updated_after",
    ),
    Listing(
        PULL_REQUESTS,
        "merge-requests.json",
        "merge requests",
        "/merge_requests",
        {"scope": "all", "state": "all", "sort": "asc"},
    ),
    Listing(RELEASES, "releases.json", "releases", "/releases"),
    Listing(LABELS_MILESTONES, "labels.json", "labels", "/labels"),
    Listing(LABELS_MILESTONES, "milestones.json", "milestones", "/milestones"),
]
GITLAB_PER_ITEM = [
    PerItem(
        frozenset({ISSUES, COMMENTS}),
        "issue-notes.json",
        "issue comments",
        parent="issues.json",
        path="/issues/{key}/notes",
        key="iid",
        label="issue_iid",
    ),
    PerItem(
        frozenset({PULL_REQUESTS, COMMENTS}),
        "merge-request-notes.json",
        "merge request comments",
        parent="merge-requests.json",
        path="/merge_requests/{key}/notes",
        key="iid",
        label="merge_request_iid",
    ),
    PerItem(
        frozenset({PULL_REQUESTS, COMMENTS}),
        "merge-request-approvals.json",
        "merge request approvals",
        parent="merge-requests.json",
        path="/merge_requests/{key}/approvals",
        key="iid",
        label="merge_request_iid",
        single=True,  # one object per merge request (approved_by: [...]), not a list
    ),
]


class GitLabDriver:
    def __init__(
        self, access: Access, client: httpx.Client, on_pause: PauseListener | None = None
    ) -> None:
        self.access = access
        base = api_root(access.api_url or API, "/api/v4")
        self.api = PlatformClient(
            client,
            base_url=base,
            headers={},
            platform="GitLab",
            on_pause=on_pause,
            credentials=[{"PRIVATE-TOKEN": t} for t in access.tokens],
        )
        self.path = quote(access.name, safe="")
        self._kind: str | None = None

    def _owner_kind(self) -> str:
        if self._kind is None:
            try:
                self.api.get(f"/groups/{self.path}")
                self._kind = "group"
            except ProviderNotFound:
                users = self.api.get("/users", {"username": self.access.name}).json()
                if not users:
                    raise ProviderNotFound(
                        f"GitLab has no group or user {self.access.name!r} visible to the token"
                    ) from None
                self._kind = "user"
        return self._kind

    def check(self) -> None:
        self._owner_kind()

    def repositories(self) -> Iterator[RemoteRepository]:
        if self._owner_kind() == "group":
            items = self.api.pages(
                f"/groups/{self.path}/projects",
                {"include_subgroups": "true", "per_page": 100, "order_by": "id", "sort": "asc"},
            )
        else:
            items = self.api.pages(f"/users/{self.path}/projects", {"per_page": 100})
        for item in items:
            yield RemoteRepository(
                server_id=str(item["id"]),
                name=item["path_with_namespace"],
                clone_url=item["http_url_to_repo"],
                is_public=item.get("visibility") == "public",
                wiki_url=wiki_of(item["http_url_to_repo"]) if item.get("wiki_enabled") else None,
                facts=gitlab_facts(item),
            )

    def manages(self, server_id: str) -> bool:
        return True

    def export_metadata(
        self, repository: str, folder: Path, cache: PageCache, ignore: set[int]
    ) -> Export:
        """Issues and merge requests with their notes and approvals, releases, labels and
        milestones of the project `group/path`, as JSON documents in `folder`."""
        project = quote(repository, safe="")
        host = httpx.URL(self.api.url("/")).host

        def assets(release: Any) -> Iterator[tuple[str, str, dict[str, str]]]:
            # Links on the GitLab server itself (uploads, the package registry) are files
            # this token may read; links elsewhere stay in releases.json as they are.
            for link in (release.get("assets") or {}).get("links") or []:
                url = link.get("direct_asset_url") or link.get("url") or ""
                if httpx.URL(url).host == host:
                    yield link.get("name") or url.rsplit("/", 1)[-1], url, {}

        return export(
            self.api,
            cache,
            f"/projects/{project}",
            folder,
            ignore,
            GITLAB_LISTINGS,
            GITLAB_PER_ITEM,
            Paging(size={"per_page": 100}),
            assets,
        )

    def git_credentials(self) -> Credentials | None:
        if not self.access.token:
            return None
        return Credentials(self.access.username or "oauth2", self.access.token)
