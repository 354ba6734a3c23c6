"""Bitbucket Cloud workspaces: app passwords (with the account's username) or access tokens
(bearer). Bitbucket Data Center is not implemented yet."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import Access, PauseListener, RemoteRepository
from repovault.providers.http import PlatformClient, without_user

API = "https://api.bitbucket.org/2.0"


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
            credentials=[self._auth(token) for token in access.tokens],
        )

    def _auth(self, token: str) -> dict[str, str]:
        """App passwords go with the account's username; access tokens as bearer."""
        if self.access.username:
            pair = base64.b64encode(f"{self.access.username}:{token}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        return {"Authorization": f"Bearer {token}"}

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
            yield RemoteRepository(
                server_id=item["uuid"],
                name=item["full_name"],
                # Bitbucket puts the viewer's name in the URL; credentials travel apart.
                clone_url=without_user(clone),
                is_public=not item.get("is_private", True),
            )

    def manages(self, server_id: str) -> bool:
        return True

    def git_credentials(self) -> Credentials | None:
        if not self.access.token:
            return None
        return Credentials(self.access.username or "x-token-auth", self.access.token)
