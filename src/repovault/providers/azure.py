"""Azure DevOps (dev.azure.com, or Server at `apiUrl`): an organization's projects, their git
repositories and wikis, with personal access tokens. Work items are out of scope for now."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import (
    Access,
    PauseListener,
    ProviderAuthError,
    RemoteProject,
    RemoteRepository,
    RemoteWiki,
)
from repovault.providers.http import PlatformClient, cloud_git_host, without_user
from repovault.providers.metadata import (
    COMMENTS,
    PULL_REQUESTS,
    Listing,
    PerItem,
    export,
)
from repovault.providers.pages import Export, PageCache
from repovault.providers.paging import Paging

API = "https://dev.azure.com"
VERSION = "7.1"


AZURE_LISTINGS = [
    Listing(
        PULL_REQUESTS,
        "pull-requests.json",
        "pull requests",
        "/pullrequests",
        {"searchCriteria.status": "all"},
    ),
]
AZURE_PER_ITEM = [
    PerItem(
        frozenset({PULL_REQUESTS, COMMENTS}),
        "pull-request-threads.json",
        "pull request comment threads",
        parent="pull-requests.json",
        path="/pullRequests/{key}/threads",
        key="pullRequestId",
        label="pullRequestId",
    ),
]
AZURE_PAGING = Paging(style="skip", size={"$top": 100, "api-version": VERSION}, items="value")


class AzureDevOpsDriver:
    def __init__(
        self, access: Access, client: httpx.Client, on_pause: PauseListener | None = None
    ) -> None:
        self.access = access
        base = f"{(access.api_url or API).rstrip('/')}/{access.name}/_apis"
        self.api = PlatformClient(
            client,
            base_url=base,
            headers={"Accept": "application/json"},
            platform="Azure DevOps",
            on_pause=on_pause,
            credentials=[
                {"Authorization": "Basic " + base64.b64encode(f":{t}".encode()).decode()}
                for t in access.tokens
            ],
            # Organizations created before dev.azure.com still clone from
            # <organization>.visualstudio.com.
            git_hosts=cloud_git_host(base, API, f"https://{access.name}.visualstudio.com"),
        )

    def _json(self, path: str, params: dict[str, Any]) -> tuple[dict[str, Any], httpx.Response]:
        response = self.api.get(path, {"api-version": VERSION, **params})
        try:
            body = response.json()
        except ValueError as exc:
            # A refused token gets the sign-in page (HTTP 203), not JSON.
            raise ProviderAuthError(
                "Azure DevOps did not accept the personal access token (sign-in page returned)"
            ) from exc
        if not isinstance(body, dict):
            raise ProviderAuthError("Azure DevOps answered with an unexpected document")
        return body, response

    def check(self) -> None:
        self._json("/projects", {"$top": 1})

    def projects(self) -> Iterator[RemoteProject]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"$top": 100}
            if token:
                params["continuationToken"] = token
            body, response = self._json("/projects", params)
            for item in body.get("value", []):
                yield RemoteProject(server_id=item["id"], name=item["name"])
            token = response.headers.get("x-ms-continuationtoken")
            if not token:
                return

    def repositories(self) -> Iterator[RemoteRepository]:
        body, _ = self._json("/git/repositories", {})
        for item in body.get("value", []):
            if item.get("isDisabled"):
                continue  # disabled repositories cannot be read
            project = item.get("project") or {}
            yield RemoteRepository(
                server_id=item["id"],
                name=f"{project.get('name', '')}/{item['name']}".lstrip("/"),
                clone_url=without_user(item["remoteUrl"]),
                is_public=project.get("visibility") == "public",
                project_server_id=project.get("id"),
            )

    def wikis(self) -> Iterator[RemoteWiki]:
        body, _ = self._json("/wiki/wikis", {})
        for item in body.get("value", []):
            yield RemoteWiki(
                server_id=item["id"],
                name=item["name"],
                clone_url=without_user(item.get("remoteUrl", "")),
                project_server_id=item.get("projectId"),
            )

    def export_metadata(
        self, repository: str, folder: Path, cache: PageCache, ignore: set[int]
    ) -> Export:
        """Pull requests of the repository (its id) with their comment threads. Work items
        are out of scope for now."""
        return export(
            self.api,
            cache,
            f"/git/repositories/{repository}",
            folder,
            ignore,
            AZURE_LISTINGS,
            AZURE_PER_ITEM,
            AZURE_PAGING,
        )

    def manages(self, server_id: str) -> bool:
        return True

    def git_credentials(self) -> Credentials | None:
        if not self.access.token:
            return None
        return Credentials(self.access.username or "pat", self.access.token)
