"""A write-capable fake GitLab (REST API v4 under `/api/v4`), served on 127.0.0.1, with the
real `git http-backend` behind the same host for pushes (`oauth2:<token>`). The calls a
restore makes, with the shapes of GitLab's REST documentation: groups, projects, labels,
milestones, issues, notes, merge requests, releases and their links, uploads.

    with WritableGitLab(tmp_path, token="glpat") as gitlab:
        gitlab.api_url             # http://127.0.0.1:PORT/api/v4
        gitlab.state["acme/app"]   # what was created
        gitlab.writes              # "POST /projects/acme%2Fapp/issues", ...
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from bench.githttp import _backend
from tests.providers.fake_gitlab_items import USER, GitLabItems, Project
from tests.providers.fake_writable_items import Answer, AnswerHandler, multipart_file


class GitLabState(GitLabItems):
    def __init__(self, root: Path, token: str, group: str) -> None:
        self.root, self.token, self.group = root, token, group
        self.base = ""
        self.state: dict[str, Project] = {}
        self.writes: list[str] = []
        self.requests: list[str] = []  # every API request, reads too
        self.slow = 0.0  # seconds each write waits (a trial that kills the writer midway)
        self.ids = iter(range(100, 1_000_000))
        self.lock = threading.Lock()

    def project_json(self, project: Project) -> dict[str, Any]:
        return {
            "id": project.id,
            "name": project.path.rsplit("/", 1)[-1],
            "path": project.path.rsplit("/", 1)[-1],
            "path_with_namespace": project.path,
            "description": project.description,
            "visibility": project.visibility,
            "default_branch": project.head() or None,
            "empty_repo": not any(r.startswith("refs/heads/") for r in project.refs()),
            "http_url_to_repo": f"{self.base}/{project.path}.git",
            "web_url": f"{self.base}/{project.path}",
            "wiki_enabled": True,
            "namespace": {"id": 9, "full_path": self.group, "kind": "group"},
        }

    def page(self, items: list[Any], query: dict[str, str], path: str) -> Answer:
        size, number = int(query.get("per_page", 20)), int(query.get("page", 1))
        headers = {}
        if number * size < len(items):
            link = f"{self.base}/api/v4{path}?{urlencode({**query, 'page': str(number + 1)})}"
            headers["Link"] = f'<{link}>; rel="next"'
        return Answer(200, items[(number - 1) * size : number * size], headers)

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, raw: bytes, ctype: str
    ) -> Answer:
        if method != "GET":
            time.sleep(self.slow)
        with self.lock:
            self.requests.append(f"{method} {path}")
            if method != "GET":
                self.writes.append(f"{method} {path}")
            if path == f"/groups/{self.group}":
                return Answer(200, {"id": 9, "path": self.group, "full_path": self.group})
            if path == f"/groups/{self.group}/projects":  # a source: what a backup lists
                projects = [self.project_json(project) for project in self.state.values()]
                return self.page(projects, query, path)
            if path == "/projects" and method == "POST":
                return self.create_project(body)
            found = re.fullmatch(r"/projects/([^/]+)(/.*)?", path)
            project = self.state.get(unquote(found.group(1))) if found else None
            if found is None or project is None:
                raise Answer(404, {"message": "404 Project Not Found"})
            rest = found.group(2) or ""
            if rest == "/uploads" and method == "POST":
                return self.upload(project, raw, ctype)
            return self.in_project(project, method, rest, query, body or {}, path)

    def create_project(self, body: dict[str, Any]) -> Answer:
        if body.get("namespace_id") != 9:
            raise Answer(400, {"message": {"namespace": ["is not valid"]}})
        path = f"{self.group}/{body['path']}"
        if path in self.state:
            raise Answer(400, {"message": {"path": ["has already been taken"]}})
        folder = self.root / f"{path}.git"
        for made in (folder, self.root / f"{path}.wiki.git"):
            subprocess.run(["git", "init", "--quiet", "--bare", str(made)], check=True)
            subprocess.run(
                ["git", "-C", str(made), "config", "http.receivepack", "true"], check=True
            )
        project = Project(
            next(self.ids), path, body.get("description") or "", body["visibility"], folder
        )
        self.state[path] = project
        return Answer(201, self.project_json(project))

    def upload(self, project: Project, raw: bytes, ctype: str) -> Answer:
        name, data = multipart_file(raw, ctype, "file")
        secret = f"{next(self.ids):032x}"
        full_path = f"/-/project/{project.id}/uploads/{secret}/{name}"
        project.uploads[full_path] = data
        url = f"/uploads/{secret}/{name}"
        return Answer(201, {"id": next(self.ids), "alt": name, "url": url, "full_path": full_path})

    def in_project(
        self,
        project: Project,
        method: str,
        rest: str,
        query: dict[str, str],
        body: dict[str, Any],
        path: str,
    ) -> Answer:
        if rest == "":
            if method == "PUT":
                project.git("symbolic-ref", "HEAD", f"refs/heads/{body['default_branch']}")
            return Answer(200, self.project_json(project))
        kind = rest.strip("/").split("/")
        collection = {
            "labels": project.labels,
            "milestones": project.milestones,
            "issues": project.issues,
            "merge_requests": project.merge_requests,
            "releases": project.releases,
        }
        if len(kind) == 1 and kind[0] in collection:
            if method == "POST":
                return Answer(201, getattr(self, f"new_{kind[0]}")(project, body))
            items = collection[kind[0]]
            if kind[0] == "merge_requests" and "source_branch" in query:
                items = [
                    m
                    for m in items
                    if m["source_branch"] == query["source_branch"]
                    and m["target_branch"] == query.get("target_branch")
                ]
            return self.page(items, query, path)
        if len(kind) >= 2 and kind[0] in ("issues", "merge_requests", "milestones"):
            key = "id" if kind[0] == "milestones" else "iid"
            item = next((i for i in collection[kind[0]] if str(i[key]) == kind[1]), None)
            if item is None:
                raise Answer(404, {"message": "404 Not found"})
            if len(kind) == 3 and kind[2] == "notes":
                notes = project.notes.setdefault((kind[0], item["iid"]), [])
                if method == "POST":
                    note = {
                        "id": next(self.ids),
                        "body": body["body"],
                        "author": USER,
                        "system": False,
                        "noteable_iid": item["iid"],
                    }
                    notes.append(note)
                    return Answer(201, note)
                return self.page(notes, query, path)
            if method == "PUT" and body.get("state_event") == "close":
                item["state"] = "closed"
                if kind[0] == "issues":
                    # GitLab notes a state change itself, as a system note
                    system = {
                        "id": next(self.ids),
                        "body": "closed",
                        "author": USER,
                        "system": True,
                    }
                    project.notes.setdefault((kind[0], item["iid"]), []).append(system)
            return Answer(200, item)
        found = re.fullmatch(r"/releases/([^/]+)/assets/links", rest)
        if found and method == "POST":
            release = next(
                (r for r in project.releases if r["tag_name"] == unquote(found.group(1))), None
            )
            if release is None:
                raise Answer(404, {"message": "404 Not found"})
            link = {
                "id": next(self.ids),
                "name": body["name"],
                "url": body["url"],
                "link_type": body.get("link_type", "other"),
            }
            release["assets"]["links"].append(link)
            release["assets"]["count"] += 1
            return Answer(201, link)
        raise Answer(404, {"message": "404 Not found"})


class _Served(AnswerHandler):
    gitlab: GitLabState

    def _route(self) -> None:
        parts = urlsplit(self.path)
        if not parts.path.startswith("/api/v4/"):
            self._cgi()
            return
        if self.headers.get("PRIVATE-TOKEN") != self.gitlab.token:
            self._send(Answer(401, {"message": "401 Unauthorized"}))
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ctype = self.headers.get("Content-Type") or ""
        body = json.loads(raw) if raw and ctype.startswith("application/json") else None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            answer = self.gitlab.answer(
                self.command, parts.path.removeprefix("/api/v4"), query, body, raw, ctype
            )
        except Answer as raised:
            answer = raised
        self._send(answer)

    do_GET = _route
    do_POST = _route
    do_PUT = _route


class WritableGitLab:
    """The fake served; git pushes need `oauth2:<token>`."""

    def __init__(self, root: Path, *, token: str, group: str = "acme") -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.gitlab = GitLabState(root, token, group)
        pair = base64.b64encode(f"oauth2:{token}".encode()).decode()
        attributes = {
            "gitlab": self.gitlab,
            "root": root,
            "backend": _backend(),
            "authorization": f"Basic {pair}",
            "seen_authorizations": [],
        }
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Served,), attributes))
        self.httpd.daemon_threads = True
        self.gitlab.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return self.gitlab.base + "/api/v4"

    @property
    def state(self) -> dict[str, Project]:
        return self.gitlab.state

    def __enter__(self) -> WritableGitLab:
        self.thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
