"""A write-capable fake Bitbucket Cloud (REST API 2.0 under `/2.0`), served on 127.0.0.1, with
the real `git http-backend` behind the same host for pushes (the user name with an app
password, Basic). The calls a restore makes, with the shapes of Bitbucket's REST
documentation: repositories, their branches, issues (the tracker) and their comments, pull
requests, their comments and `decline`; answers are pages (`values`, `next`).

    with WritableBitbucket(tmp_path, user="restorer", password="app-password") as bitbucket:
        bitbucket.api_url             # http://127.0.0.1:PORT/2.0
        bitbucket.state["acme/app"]   # what was created
        bitbucket.writes              # "POST /repositories/acme/app/issues", ...
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
from tests.providers.fake_writable_items import Answer, AnswerHandler, GitFolder, _ancestor, _commit

USER = {"display_name": "Restorer", "nickname": "restorer", "type": "user"}
STATES = ("new", "open", "resolved", "on hold", "invalid", "duplicate", "wontfix", "closed")


def _error(status: int, message: str) -> Answer:
    return Answer(status, {"type": "error", "error": {"message": message}})


@dataclass
class Repo(GitFolder):
    slug: str  # workspace/name
    description: str
    private: bool
    folder: Path
    has_issues: bool = False
    issues: list[dict[str, Any]] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)


class BitbucketState:
    def __init__(self, root: Path, workspace: str) -> None:
        self.root, self.workspace = root, workspace
        self.base = ""
        self.state: dict[str, Repo] = {}
        self.writes: list[str] = []
        self.ids = iter(range(100, 1_000_000))
        self.lock = threading.Lock()

    def repo_json(self, repo: Repo) -> dict[str, Any]:
        host = self.base.replace("http://", "http://restorer@")
        return {
            "type": "repository",
            "full_name": repo.slug,
            "name": repo.slug.rsplit("/", 1)[-1],
            "is_private": repo.private,
            "description": repo.description,
            "scm": "git",
            "has_issues": repo.has_issues,
            "has_wiki": False,
            "mainbranch": {"name": repo.head(), "type": "branch"},
            "links": {"clone": [{"name": "https", "href": f"{host}/{repo.slug}.git"}]},
        }

    def page(self, items: list[Any], query: dict[str, str], path: str) -> Answer:
        size, number = int(query.get("pagelen", 10)), int(query.get("page", 1))
        body: dict[str, Any] = {
            "pagelen": size,
            "page": number,
            "size": len(items),
            "values": items[(number - 1) * size : number * size],
        }
        if number * size < len(items):
            body["next"] = f"{self.base}/2.0{path}?{urlencode({**query, 'page': number + 1})}"
        return Answer(200, body)

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        with self.lock:
            if method != "GET":
                self.writes.append(f"{method} {path}")
            found = re.fullmatch(r"/repositories/([^/]+)/([^/]+)(/.*)?", path)
            if found is None or found.group(1) != self.workspace:
                raise _error(404, "Resource not found")
            slug = f"{found.group(1)}/{found.group(2)}"
            repo = self.state.get(slug)
            if repo is None and method == "POST" and not found.group(3):
                return self.create_repo(slug, body or {})
            if repo is None:
                raise _error(404, "Repository not found")
            return self.in_repo(repo, method, found.group(3) or "", query, body or {}, path)

    def create_repo(self, slug: str, body: dict[str, Any]) -> Answer:
        if body.get("scm", "git") != "git":
            raise _error(400, "scm: only git")
        folder = self.root / f"{slug}.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(folder)], check=True)
        subprocess.run(["git", "-C", str(folder), "config", "http.receivepack", "true"], check=True)
        repo = Repo(slug, body.get("description") or "", bool(body.get("is_private")), folder)
        repo.has_issues = bool(body.get("has_issues"))
        self.state[slug] = repo
        return Answer(200, self.repo_json(repo))

    def in_repo(
        self,
        repo: Repo,
        method: str,
        rest: str,
        query: dict[str, str],
        body: dict[str, Any],
        path: str,
    ) -> Answer:
        if rest == "":
            if method == "PUT":
                if "mainbranch" in body:
                    repo.git("symbolic-ref", "HEAD", f"refs/heads/{body['mainbranch']['name']}")
                if "has_issues" in body:
                    repo.has_issues = bool(body["has_issues"])
            return Answer(200, self.repo_json(repo))
        if rest == "/refs/branches":
            names = [r.removeprefix("refs/heads/") for r in repo.refs() if "refs/heads/" in r]
            return self.page([{"name": n, "type": "branch"} for n in names], query, path)
        parts = rest.strip("/").split("/")
        if parts[0] == "issues" and not repo.has_issues:
            raise _error(404, "Repository has no issue tracker.")
        if parts[0] not in ("issues", "pullrequests"):
            raise _error(404, "Resource not found")
        items = repo.issues if parts[0] == "issues" else repo.pulls
        if len(parts) == 1:
            if method == "POST":
                made = (
                    self.new_issue(repo, body)
                    if items is repo.issues
                    else self.new_pull(repo, body)
                )
                return Answer(201, made)
            return self.page(items, query, path)
        item = next((i for i in items if str(i["id"]) == parts[1]), None)
        if item is None:
            raise _error(404, "Resource not found")
        if len(parts) == 3 and parts[2] == "comments":
            thread = repo.comments.setdefault((parts[0], item["id"]), [])
            if method == "POST":
                comment = {"id": next(self.ids), "content": {"raw": body["content"]["raw"]}}
                thread.append({**comment, "user": USER, "type": f"{parts[0][:-1]}_comment"})
                return Answer(201, thread[-1])
            return self.page(thread, query, path)
        if len(parts) == 3 and parts[2] == "decline" and method == "POST":
            if item["state"] != "OPEN":
                raise _error(400, "Only open pull requests can be declined")
            item["state"] = "DECLINED"
            return Answer(200, item)
        if len(parts) == 2 and method == "PUT" and parts[0] == "issues":
            if body.get("state") not in STATES:
                raise _error(400, "state: not a valid choice")
            item["state"] = body["state"]
        return Answer(200, item)

    def new_issue(self, repo: Repo, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("kind", "bug") not in ("bug", "enhancement", "proposal", "task"):
            raise _error(400, "kind: not a valid choice")
        issue = {
            "type": "issue",
            "id": len(repo.issues) + 1,
            "title": body["title"],
            "content": {"raw": (body.get("content") or {}).get("raw") or "", "markup": "markdown"},
            "kind": body.get("kind", "bug"),
            "priority": body.get("priority", "major"),
            "state": "new",
            "reporter": USER,
        }
        repo.issues.append(issue)
        return issue

    def new_pull(self, repo: Repo, body: dict[str, Any]) -> dict[str, Any]:
        source, target = body["source"]["branch"]["name"], body["destination"]["branch"]["name"]
        head, base = _commit(repo.folder, source), _commit(repo.folder, target)
        if head is None or base is None:
            raise _error(400, f"branch not found: {source if head is None else target}")
        if _ancestor(repo.folder, head, base):
            raise _error(400, "There are no changes to be pulled")
        pull = {
            "type": "pullrequest",
            "id": len(repo.pulls) + 1,
            "title": body["title"],
            "description": body.get("description") or "",
            "state": "OPEN",
            "author": USER,
            "source": {"branch": {"name": source}, "commit": {"hash": head}},
            "destination": {"branch": {"name": target}, "commit": {"hash": base}},
        }
        repo.pulls.append(pull)
        return pull


class _Served(AnswerHandler):
    bitbucket: BitbucketState
    api_authorization: str

    def _route(self) -> None:
        parts = urlsplit(self.path)
        if not parts.path.startswith("/2.0/"):
            self._cgi()
            return
        if self.headers.get("Authorization") != self.api_authorization:
            self._send(_error(401, "Unauthorized"))
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.loads(raw) if raw else None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            answer = self.bitbucket.answer(
                self.command, parts.path.removeprefix("/2.0"), query, body
            )
        except Answer as raised:
            answer = raised
        self._send(answer)

    do_GET = _route
    do_POST = _route
    do_PUT = _route


class WritableBitbucket:
    """The fake served; the API and git pushes both need Basic `user:password`."""

    def __init__(self, root: Path, *, user: str, password: str, workspace: str = "acme") -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.bitbucket = BitbucketState(root, workspace)
        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        attributes = {
            "bitbucket": self.bitbucket,
            "root": root,
            "backend": _backend(),
            "authorization": f"Basic {pair}",
            "api_authorization": f"Basic {pair}",
            "seen_authorizations": [],
        }
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Served,), attributes))
        self.httpd.daemon_threads = True
        self.bitbucket.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return self.bitbucket.base + "/2.0"

    @property
    def state(self) -> dict[str, Repo]:
        return self.bitbucket.state

    @property
    def writes(self) -> list[str]:
        return self.bitbucket.writes

    def __enter__(self) -> WritableBitbucket:
        self.thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
