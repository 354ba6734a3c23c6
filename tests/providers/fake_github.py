"""A GitHub API made of recorded responses (shapes from GitHub's REST documentation),
served through `httpx.MockTransport`: organizations, users, paged repository lists with
`Link` headers, and errors and rate limits on demand."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import jwt

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


def user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10_000, "type": "User", "site_admin": False}


def issue(number: int, title: str, *, pull: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": 1_000 + number,
        "node_id": f"MDU6SXNzdWUx{number}",
        "number": number,
        "title": title,
        "user": user("octocat"),
        "labels": [],
        "state": "open",
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": 1,
        "created_at": "2011-04-22T13:33:48Z",
        "updated_at": "2011-04-22T13:33:48Z",
        "closed_at": None,
        "author_association": "COLLABORATOR",
        "body": "I'm having a problem.",
    }
    if pull:
        item["pull_request"] = {
            "url": f"https://api.github.com/repos/o/r/pulls/{number}",
            "merged_at": None,
        }
    return item


def pull_request(number: int, title: str) -> dict[str, Any]:
    return {
        "id": 2_000 + number,
        "number": number,
        "state": "open",
        "title": title,
        "user": user("octocat"),
        "body": "Please pull these awesome changes in!",
        "created_at": "2011-01-26T19:01:12Z",
        "updated_at": "2011-01-26T19:01:12Z",
        "closed_at": None,
        "merged_at": None,
        "draft": False,
        "head": {"label": "octocat:new-topic", "ref": "new-topic", "sha": "6dcb09b5b5"},
        "base": {"label": "octocat:master", "ref": "master", "sha": "6dcb09b5b5"},
    }


def review(review_id: int, state: str = "APPROVED") -> dict[str, Any]:
    return {
        "id": review_id,
        "node_id": f"MDE3OlB1bGxSZXF1ZXN0UmV2aWV3{review_id}",
        "user": user("reviewer"),
        "body": "Here is the body for the review.",
        "state": state,
        "commit_id": "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091",
        "submitted_at": "2019-11-17T17:43:43Z",
        "author_association": "COLLABORATOR",
    }


def comment(comment_id: int, body: str) -> dict[str, Any]:
    return {
        "id": comment_id,
        "node_id": f"MDEyOklzc3VlQ29tbWVudDE{comment_id}",
        "body": body,
        "user": user("octocat"),
        "created_at": "2011-04-14T16:00:49Z",
        "updated_at": "2011-04-14T16:00:49Z",
        "author_association": "COLLABORATOR",
    }


def release(release_id: int, tag: str) -> dict[str, Any]:
    return {
        "id": release_id,
        "tag_name": tag,
        "name": tag,
        "draft": False,
        "prerelease": False,
        "created_at": "2013-02-27T19:35:32Z",
        "published_at": "2013-02-27T19:35:32Z",
        "body": "Description of the release",
        "assets": [
            {
                "id": 1,
                "name": "example.zip",
                "label": "short description",
                "state": "uploaded",
                "content_type": "application/zip",
                "size": 1024,
                "download_count": 42,
                "browser_download_url": f"https://github.com/o/r/releases/download/{tag}/example.zip",
            }
        ],
    }


def label(label_id: int, name: str) -> dict[str, Any]:
    return {
        "id": label_id,
        "node_id": f"MDU6TGFiZWwyMDgwNDU5NDY{label_id}",
        "name": name,
        "description": "Something isn't working",
        "color": "f29513",
        "default": True,
    }


def milestone(number: int, title: str) -> dict[str, Any]:
    return {
        "id": 1_002_604 + number,
        "number": number,
        "state": "open",
        "title": title,
        "description": "Tracking milestone for version 1.0",
        "open_issues": 4,
        "closed_issues": 8,
        "created_at": "2011-04-10T20:09:31Z",
        "due_on": None,
    }


class FakeGitHub:
    """Organizations and users with repositories; `fail_next` queues error responses."""

    def __init__(self) -> None:
        self.orgs: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[str, list[dict[str, Any]]] = {}
        self.token_owner = "repovault-bot"
        self.valid_tokens: set[str] | None = None  # None: any token works
        self.limited_tokens: set[str] = set()  # these get the primary rate limit
        self.queued: list[httpx.Response] = []
        self.requests: list[httpx.Request] = []
        # "owner/name" -> endpoint ("issues", "pulls", "pulls/7/reviews", ...) -> items
        self.repo_data: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.asset_files: dict[str, bytes] = {}  # asset id -> content
        # GitHub Apps: app id -> (public key PEM, installation ids); tokens minted, in order.
        self.apps: dict[int, tuple[bytes, set[int]]] = {}
        self.minted: list[str] = []
        self.token_lifetime_s = 3600
        # `pushed_at` of a repository on disk follows its refs (False: as the item says).
        self.pushed_from_disk = True

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
        minting = re.fullmatch(r"/app/installations/(\d+)/access_tokens", request.url.path)
        if minting and request.method == "POST":  # the app's JWT, not a token
            return self._mint(token or "", int(minting.group(1)))
        if token is not None and self.valid_tokens is not None and token not in self.valid_tokens:
            return httpx.Response(401, json=ERRORS["bad_credentials"])
        if token in self.limited_tokens:
            reset = str(int(time.time()) + 3600)
            return httpx.Response(
                403,
                json=ERRORS["rate_limited"],
                headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
            )
        path = request.url.path
        data = re.fullmatch(r"/repos/([^/]+/[^/]+)/(.+)", path)
        if data:
            return self._repo_data(request, data.group(1), data.group(2))
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

    def _mint(self, signed: str, installation: int) -> httpx.Response:
        """POST /app/installations/{id}/access_tokens: the JWT must be the app's (RS256, at
        most 10 minutes), as GitHub checks it; the answer has the documented shape."""
        try:
            app_id = int(jwt.decode(signed, options={"verify_signature": False})["iss"])
            public_key, installations = self.apps[app_id]
            claims = jwt.decode(signed, public_key, algorithms=["RS256"])
        except (jwt.PyJWTError, KeyError, ValueError):
            return httpx.Response(401, json=ERRORS["bad_credentials"])
        if claims["exp"] - claims["iat"] > 600:
            return httpx.Response(401, json=ERRORS["bad_credentials"])
        if installation not in installations:
            return httpx.Response(404, json=ERRORS["not_found"])
        token = f"ghs_{len(self.minted) + 1:036d}"
        self.minted.append(token)
        if self.valid_tokens is not None:
            self.valid_tokens.add(token)
        expires = datetime.fromtimestamp(time.time() + self.token_lifetime_s, UTC)
        return httpx.Response(
            201,
            json={
                "token": token,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": {"contents": "read", "issues": "read", "metadata": "read"},
                "repository_selection": "all",
            },
        )

    def _repo_data(self, request: httpx.Request, repo: str, endpoint: str) -> httpx.Response:
        asset = re.fullmatch(r"releases/assets/(\d+)", endpoint)
        if asset and request.headers.get("accept") == "application/octet-stream":
            content = self.asset_files.get(asset.group(1))
            if content is None:
                return httpx.Response(404, json=ERRORS["not_found"])
            return httpx.Response(
                200, content=content, headers={"Content-Type": "application/octet-stream"}
            )
        if repo not in self.repo_data:
            return httpx.Response(404, json=ERRORS["not_found"])
        if endpoint not in self.repo_data[repo]:
            return httpx.Response(
                410,
                json={
                    "message": "Issues are disabled for this repo",
                    "documentation_url": "https://docs.github.com/rest",
                },
            )
        items = self.repo_data[repo][endpoint]
        since = request.url.params.get("since")
        if since is not None:  # items updated at or after the time, as GitHub filters issues
            items = [i for i in items if i.get("updated_at", "") >= since]
        response = self._page(request, items)
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        response.headers["ETag"] = etag
        return response

    def _known(self, table: dict[str, Any], name: str, file: str) -> httpx.Response:
        if name not in table:
            return httpx.Response(404, json=ERRORS["not_found"])
        return httpx.Response(200, json=dict(recorded(file), login=name))

    def _list(self, request: httpx.Request, table: dict[str, Any], name: str) -> httpx.Response:
        if name not in table:
            return httpx.Response(404, json=ERRORS["not_found"])
        return self._page(request, [self._pushed(item) for item in table[name]])

    def _pushed(self, item: dict[str, Any]) -> dict[str, Any]:
        """As GitHub moves `pushed_at` with every push: a repository served from a folder
        on disk (a file `clone_url`) was last pushed when its refs last changed."""
        url = str(item.get("clone_url", ""))
        if not self.pushed_from_disk or not url.startswith("file://"):
            return item
        folder = Path(unquote(urlsplit(url).path))
        times = [p.stat().st_mtime for p in (folder / "packed-refs", folder / "refs") if p.exists()]
        times += [p.stat().st_mtime for p in (folder / "refs").rglob("*") if p.is_file()]
        if not times:
            return item
        at = datetime.fromtimestamp(max(times), UTC).isoformat().replace("+00:00", "Z")
        return {**item, "pushed_at": at}

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))
