"""GitHub (github.com and Enterprise Server at `apiUrl`): organizations and user accounts,
classic and fine-grained personal access tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import (
    Access,
    PauseListener,
    ProviderAuthError,
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
    PageCache,
    conditional_pages,
    export_document,
    read_document,
)

API = "https://api.github.com"
PER_PAGE = 100


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
        )
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
            try:
                self.api.get(f"/orgs/{self.access.name}")
                self._kind = "org"
            except ProviderNotFound:
                try:
                    self.api.get(f"/users/{self.access.name}")
                except ProviderNotFound as exc:
                    raise ProviderNotFound(
                        f"GitHub has no organization or user {self.access.name!r}"
                    ) from exc
                self._kind = "user"
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
        export = Export()
        base = f"/repos/{repository}"

        def pages(path: str, **params: Any) -> Iterator[Any]:
            return conditional_pages(
                self.api, cache, base + path, {"per_page": PER_PAGE, **params}, export
            )

        documents: list[tuple[int, str, str, Callable[[], Iterable[Any]]]] = [
            # GitHub lists pull requests among issues too: keep only real issues there.
            (
                ISSUES,
                "issues.json",
                "issues",
                lambda: (
                    i
                    for i in pages("/issues", state="all", direction="asc")
                    if "pull_request" not in i
                ),
            ),
            (
                PULL_REQUESTS,
                "pull-requests.json",
                "pull requests",
                lambda: pages("/pulls", state="all", direction="asc"),
            ),
            (
                COMMENTS,
                "issue-comments.json",
                "issue and pull request comments",
                lambda: pages("/issues/comments"),
            ),
            (
                COMMENTS,
                "review-comments.json",
                "pull request review comments",
                lambda: pages("/pulls/comments"),
            ),
            (RELEASES, "releases.json", "releases", lambda: pages("/releases")),
            (LABELS_MILESTONES, "labels.json", "labels", lambda: pages("/labels")),
            (
                LABELS_MILESTONES,
                "milestones.json",
                "milestones",
                lambda: pages("/milestones", state="all"),
            ),
        ]
        for kind, name, what, items in documents:
            if kind not in ignore:
                export_document(export, folder, name, items(), what)
        if {PULL_REQUESTS, COMMENTS}.isdisjoint(
            ignore
        ) and "pull-requests.json" in export.documents:
            export_document(
                export,
                folder,
                "reviews.json",
                self._reviews(export.documents["pull-requests.json"], pages),
                "pull request reviews",
            )
        return export

    @staticmethod
    def _reviews(pulls: Path, pages: Callable[..., Iterator[Any]]) -> Iterator[Any]:
        for pull in read_document(pulls):
            for review in pages(f"/pulls/{pull['number']}/reviews"):
                yield {"pull_request": pull["number"], **review}

    def git_credentials(self) -> Credentials | None:
        if not self.access.token:
            return None
        return Credentials(self.access.username or "x-access-token", self.access.token)
