"""A write-capable fake GitHub (Enterprise Server style, API under `/api/v3`) or Gitea (API
under `/api/v1`), served on 127.0.0.1: the create and list endpoints a restore uses, with
the shapes of the platforms' REST documentation, and the real `git http-backend` behind the
same host for pushes (bare repositories made when the API creates a repository).

    with WritablePlatform(tmp_path, gitea=False, token="t0k") as platform:
        platform.api_url   # http://127.0.0.1:PORT/api/v3
        platform.state["acme/app"]   # labels, milestones, issues, comments as created

Pull requests, releases and their files: fake_writable_items.py. A wiki: with `wikis=True`
every new repository has a `.wiki.git` beside it, as Gitea makes one; with False (GitHub's
way: its wiki's git repository exists once the first page is made) the repository says
`has_wiki` but a push to its wiki finds no repository.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from bench.githttp import _backend
from tests.providers.fake_lfs import is_lfs, lfs_answer
from tests.providers.fake_writable_items import USER, Answer, AnswerHandler, Items


@dataclass
class FakeRepository:
    full_name: str
    description: str
    private: bool
    folder: Path
    labels: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)
    assets: dict[int, bytes] = field(default_factory=dict)  # asset id -> the file's bytes

    def refs(self) -> dict[str, str]:
        out = subprocess.run(
            ["git", "-C", str(self.folder), "for-each-ref", "--format=%(refname) %(objectname)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return dict(line.split(" ", 1) for line in out.splitlines())

    def head(self) -> str:
        out = subprocess.run(
            ["git", "-C", str(self.folder), "symbolic-ref", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip().removeprefix("refs/heads/")


class Platform(Items):
    """The state and the API's answers (no HTTP server here)."""

    def __init__(
        self, root: Path, *, gitea: bool, token: str, owner: str, wikis: bool = True
    ) -> None:
        self.root = root
        self.wikis = wikis
        self.gitea = gitea
        self.token = token
        self.owner = owner
        self.base = ""  # http://127.0.0.1:PORT, set once served
        self.state: dict[str, FakeRepository] = {}
        self.writes: list[str] = []  # "POST /repos/acme/app/issues", ...
        self.lfs: dict[str, dict[str, bytes]] = {}  # repository -> LFS oid -> bytes
        self.drafts = True  # False: draft pull requests refused, as on GitHub Free plans
        self.lfs_enabled = True  # False: the LFS API answers 404, as with LFS turned off
        self.requests: list[str] = []  # every API request, reads too: "GET /repos/acme/app", ...
        # The next N writes to paths ending so are answered as GitHub and Gitea answer a
        # rate limit (429 with Retry-After), and not applied.
        self.limit: tuple[str, int] = ("", 0)
        self.ids = iter(range(100, 1_000_000))
        self.lock = threading.Lock()

    # Shapes ------------------------------------------------------------------------------

    def repository_json(self, repo: FakeRepository) -> dict[str, Any]:
        owner, name = repo.full_name.split("/")
        item: dict[str, Any] = {
            "id": abs(hash(repo.full_name)) % 100_000,
            "name": name,
            "full_name": repo.full_name,
            "owner": {"login": owner},
            "private": repo.private,
            "description": repo.description,
            "clone_url": f"{self.base}/{repo.full_name}.git",
            "default_branch": repo.head(),
            "has_wiki": True,
        }
        if self.gitea:
            item["empty"] = not any(r.startswith("refs/heads/") for r in repo.refs())
        return item

    def _page(self, items: list[Any], query: dict[str, str], path: str) -> Answer:
        size = int(query.get("limit" if self.gitea else "per_page", 30))
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            prefix = "/api/v1" if self.gitea else "/api/v3"
            link = f"{self.base}{prefix}{path}?{urlencode({**query, 'page': str(page + 1)})}"
            headers["Link"] = f'<{link}>; rel="next"'
        return Answer(200, chunk, headers)

    # Routes ------------------------------------------------------------------------------

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        raw: bytes = b"",
        content_type: str = "",
    ) -> Answer:
        with self.lock:
            page = f"?page={query['page']}" if query.get("page", "1") != "1" else ""
            self.requests.append(f"{method} {path}{page}")
            if method != "GET":
                self.writes.append(f"{method} {path}")
                suffix, times = self.limit
                if times and path.endswith(suffix):
                    self.limit = (suffix, times - 1)
                    message = {"message": "API rate limit exceeded"}
                    raise Answer(429, message, {"Retry-After": "0", "X-RateLimit-Remaining": "0"})
            if path == "/user":
                return Answer(200, {"login": USER, "id": 1})
            if path == f"/orgs/{self.owner}":
                return Answer(200, {"login": self.owner, "id": 2})
            if path == f"/orgs/{self.owner}/repos" and method == "POST":
                return self.create_repository(body)
            if path == "/graphql" and method == "POST" and not self.gitea:
                return Answer(200, self.graphql(body))
            found = re.fullmatch(r"/repos/([^/]+/[^/]+)/releases/(\d+)/assets", path)
            if found and found.group(1) in self.state and method == "POST":
                repo = self.state[found.group(1)]
                made = self.upload_request(repo, int(found.group(2)), query, raw, content_type)
                return Answer(201, made)
            found = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
            if found and found.group(1) in self.state:
                repo = self.state[found.group(1)]
                return self.in_repository(repo, method, found.group(2) or "", query, body, path)
            raise Answer(404, {"message": "Not Found"})

    def create_repository(self, body: dict[str, Any]) -> Answer:
        full_name = f"{self.owner}/{body['name']}"
        if full_name in self.state:
            raise Answer(422, {"message": "Repository creation failed.", "errors": []})
        folder = self.root / f"{full_name}.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(folder)], check=True)
        subprocess.run(["git", "-C", str(folder), "config", "http.receivepack", "true"], check=True)
        if self.wikis:
            wiki = self.root / f"{full_name}.wiki.git"
            subprocess.run(["git", "init", "--quiet", "--bare", str(wiki)], check=True)
            subprocess.run(
                ["git", "-C", str(wiki), "config", "http.receivepack", "true"], check=True
            )
        repo = FakeRepository(full_name, body.get("description", ""), body["private"], folder)
        self.state[full_name] = repo
        return Answer(201, self.repository_json(repo))

    def in_repository(
        self,
        repo: FakeRepository,
        method: str,
        rest: str,
        query: dict[str, str],
        body: Any,
        path: str,
    ) -> Answer:
        if rest == "" and method == "PATCH":
            branch = body["default_branch"]
            subprocess.run(
                ["git", "-C", str(repo.folder), "symbolic-ref", "HEAD", f"refs/heads/{branch}"],
                check=True,
            )
            return Answer(200, self.repository_json(repo))
        if rest == "":
            return Answer(200, self.repository_json(repo))
        if rest == "/branches":
            heads = [
                r.removeprefix("refs/heads/") for r in repo.refs() if r.startswith("refs/heads/")
            ]
            return self._page([{"name": h} for h in heads], query, path)
        if rest in ("/labels", "/milestones", "/issues", "/pulls", "/releases"):
            items = getattr(repo, rest[1:])
            if method == "POST":
                return Answer(201, getattr(self, f"new_{rest[1:-1]}")(repo, body))
            if rest == "/pulls":
                items = list(repo.pulls.values())
            if rest == "/issues" and self.gitea and query.get("type"):
                pulls = query["type"] == "pulls"
                items = [i for i in items if bool(i.get("pull_request")) == pulls]
            return self._page(items, query, path)
        found = re.fullmatch(r"/pulls/(\d+)", rest)
        if found and int(found.group(1)) in repo.pulls:
            pull = repo.pulls[int(found.group(1))]
            if method == "PATCH":
                issue = next(i for i in repo.issues if i["number"] == pull["number"])
                self.edit(repo, issue, {"state": body.get("state", pull["state"])})
            return Answer(200, pull)
        found = re.fullmatch(r"/issues/(\d+)(/comments)?", rest)
        if found is None:
            raise Answer(404, {"message": "Not Found"})
        number = int(found.group(1))
        issue = next((i for i in repo.issues if i["number"] == number), None)
        if issue is None:
            raise Answer(404, {"message": "Not Found"})
        if found.group(2) and method == "POST":
            made = {"id": next(self.ids), "body": body["body"], "user": {"login": USER}}
            repo.comments.setdefault(number, []).append(made)
            issue["comments"] += 1
            return Answer(201, made)
        if found.group(2):
            return self._page(repo.comments.get(number, []), query, path)
        if method == "PATCH":
            self.edit(repo, issue, body)
        return Answer(200, issue)

    def new_label(self, repo: FakeRepository, body: dict[str, Any]) -> dict[str, Any]:
        color = str(body.get("color") or "")
        if self.gitea and not color.startswith("#"):
            raise Answer(422, {"message": "Color is invalid"})
        label = {"id": next(self.ids), "name": body["name"], "color": color}
        label["description"] = body.get("description") or ""
        repo.labels.append(label)
        return label

    def new_milestone(self, repo: FakeRepository, body: dict[str, Any]) -> dict[str, Any]:
        milestone = {
            "id": next(self.ids),
            "number": len(repo.milestones) + 1,
            "title": body["title"],
            "description": body.get("description"),
            "state": body.get("state", "open"),
            "due_on": body.get("due_on"),
        }
        repo.milestones.append(milestone)
        return milestone

    def new_issue(self, repo: FakeRepository, body: dict[str, Any]) -> dict[str, Any]:
        labels, milestone = self.refs_of(repo, body)
        issue_id = next(self.ids)
        issue: dict[str, Any] = {
            "id": issue_id,
            "node_id": f"I_kw{issue_id}",
            "number": len(repo.issues) + 1,
            "title": body["title"],
            "body": body.get("body"),
            "user": {"login": USER},
            "labels": labels,
            "milestone": milestone,
            # GitHub creates issues open; Gitea's CreateIssueOption has `closed`
            "state": "closed" if self.gitea and body.get("closed") else "open",
            "comments": 0,
        }
        if self.gitea:
            issue["pull_request"] = None
        repo.issues.append(issue)
        return issue


class _Served(AnswerHandler):
    platform: Platform
    prefix: str

    def _route(self) -> None:
        parts = urlsplit(self.path)
        uploads = "/api/uploads/"  # GitHub Enterprise Server's upload host, on the same host
        graphql = "/api/graphql"  # and its GraphQL endpoint
        if is_lfs(parts.path):
            self._lfs(parts.path)
            return
        if not parts.path.startswith((self.prefix + "/", uploads, graphql)):
            self._cgi()
            return
        scheme = "token" if self.platform.gitea else "Bearer"
        if self.headers.get("Authorization") != f"{scheme} {self.platform.token}":
            self._send(Answer(401, {"message": "Bad credentials"}))
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type") or ""
        body = json.loads(raw) if raw and content_type.startswith("application/json") else None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path.startswith(uploads):
            path = "/" + parts.path.removeprefix(uploads)
        elif parts.path == graphql:
            path = "/graphql"
        else:
            path = parts.path.removeprefix(self.prefix)
        try:
            answer = self.platform.answer(self.command, path, query, body, raw, content_type)
        except Answer as raised:
            answer = raised
        self._send(answer)

    def _lfs(self, path: str) -> None:
        if self.headers.get("Authorization") != self.authorization:
            self._send(Answer(401, {"message": "Bad credentials"}))
            return
        if not self.platform.lfs_enabled:
            self._send(Answer(404, {"message": "Not Found"}))
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        platform = self.platform
        with platform.lock:
            answer = lfs_answer(
                platform.lfs, platform.base, self.authorization or "", self.command, path, raw
            )
        self._send(answer)

    do_GET = _route
    do_POST = _route
    do_PATCH = _route
    do_PUT = _route


class WritablePlatform:
    """The fake served; git pushes need basic credentials with the token."""

    def __init__(
        self, root: Path, *, gitea: bool, token: str, owner: str = "acme", wikis: bool = True
    ) -> None:
        self.platform = Platform(root, gitea=gitea, token=token, owner=owner, wikis=wikis)
        user = "git" if gitea else "x-access-token"
        pair = base64.b64encode(f"{user}:{token}".encode()).decode()
        handler = type(
            "Handler",
            (_Served,),
            {
                "platform": self.platform,
                "prefix": "/api/v1" if gitea else "/api/v3",
                "root": root,
                "backend": _backend(),
                "authorization": f"Basic {pair}",
                "seen_authorizations": [],
            },
        )
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.platform.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return self.platform.base + ("/api/v1" if self.platform.gitea else "/api/v3")

    @property
    def state(self) -> dict[str, FakeRepository]:
        return self.platform.state

    def __enter__(self) -> WritablePlatform:
        self.thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
