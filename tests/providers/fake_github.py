"""A GitHub API made of recorded responses (shapes from GitHub's REST documentation),
served through `httpx.MockTransport`: organizations, users, paged repository lists with
`Link` headers, and errors and rate limits on demand."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

RECORDED = Path(__file__).parent / "recorded"
API = "https://api.github.com"


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())


ERRORS = recorded("github_errors.json")


def repository(repo_id: int, full_name: str, *, private: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = copy.deepcopy(recorded("github_repo.json"))
    owner, name = full_name.split("/", 1)
    item.update(
        id=repo_id,
        name=name,
        full_name=full_name,
        private=private,
        visibility="private" if private else "public",
        html_url=f"https://github.com/{full_name}",
        clone_url=f"https://github.com/{full_name}.git",
    )
    item["owner"]["login"] = owner
    return item


class FakeGitHub:
    """Organizations and users with repositories; `fail_next` queues error responses."""

    def __init__(self) -> None:
        self.orgs: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[str, list[dict[str, Any]]] = {}
        self.token_owner = "repovault-bot"
        self.valid_tokens: set[str] | None = None  # None: any token works
        self.queued: list[httpx.Response] = []
        self.requests: list[httpx.Request] = []

    def fail_next(
        self,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        for _ in range(times):
            self.queued.append(httpx.Response(status, json=body, headers=headers or {}))

    def _page(self, request: httpx.Request, items: list[dict[str, Any]]) -> httpx.Response:
        per_page = int(request.url.params.get("per_page", 30))
        page = int(request.url.params.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            params = dict(request.url.params, page=str(page + 1))
            headers["Link"] = f'<{request.url.copy_with(params=params)}>; rel="next"'
        return httpx.Response(200, json=chunk, headers=headers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.queued:
            return self.queued.pop(0)
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth else None
        if token is not None and self.valid_tokens is not None and token not in self.valid_tokens:
            return httpx.Response(401, json=ERRORS["bad_credentials"])
        path = request.url.path
        routes: list[tuple[str, Callable[[re.Match[str]], httpx.Response]]] = [
            (
                r"/user",
                lambda m: httpx.Response(
                    200, json=dict(recorded("github_user.json"), login=self.token_owner)
                ),
            ),
            (r"/user/repos", lambda m: self._page(request, self.users.get(self.token_owner, []))),
            (r"/orgs/([^/]+)", lambda m: self._known(self.orgs, m.group(1), "github_org.json")),
            (r"/orgs/([^/]+)/repos", lambda m: self._list(request, self.orgs, m.group(1))),
            (r"/users/([^/]+)", lambda m: self._known(self.users, m.group(1), "github_user.json")),
            (r"/users/([^/]+)/repos", lambda m: self._list(request, self.users, m.group(1))),
        ]
        for pattern, answer in routes:
            match = re.fullmatch(pattern, path)
            if match:
                return answer(match)
        return httpx.Response(404, json=ERRORS["not_found"])

    def _known(self, table: dict[str, Any], name: str, file: str) -> httpx.Response:
        if name not in table:
            return httpx.Response(404, json=ERRORS["not_found"])
        return httpx.Response(200, json=dict(recorded(file), login=name))

    def _list(self, request: httpx.Request, table: dict[str, Any], name: str) -> httpx.Response:
        if name not in table:
            return httpx.Response(404, json=ERRORS["not_found"])
        return self._page(request, table[name])

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))
