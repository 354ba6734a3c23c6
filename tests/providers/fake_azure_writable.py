"""A write-capable fake Azure DevOps organization (REST API 7.1), served on 127.0.0.1, with the
real `git http-backend` behind the same host for pushes (`{org}/{project}/_git/{name}`). The
calls a restore makes, with the shapes of the Azure DevOps REST documentation: projects, git
repositories and their refs, pull requests and their threads, work items (JSON Patch, WIQL,
the batch read by ids) and their comments. Work item ids are the organization's: the first
is 41, as if others were there before.

    with WritableAzure(tmp_path, token="pat", projects=["Alpha", "Beta"]) as azure:
        azure.api_url                  # http://127.0.0.1:PORT
        azure.state["Alpha/app"]       # a repository: refs, pull requests, threads
        azure.azure.work_items         # id -> work item
        azure.writes                   # "POST /acme/Alpha/_apis/wit/workitems/$Issue", ...
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
import uuid
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from bench.githttp import _backend
from tests.providers.fake_writable_items import Answer, AnswerHandler, GitFolder, _ancestor

BASIC = ("To Do", "Doing", "Done")  # the Basic process's Issue states (the first: new)
AGILE = ("Active", "Resolved", "Closed")  # the Agile process's Issue


def _error(status: int, message: str) -> Answer:
    return Answer(status, {"$id": "1", "message": message, "typeKey": "InvalidArgumentException"})


@dataclass
class Repo(GitFolder):
    id: str
    name: str
    project: str
    folder: Path
    pulls: list[dict[str, Any]] = field(default_factory=list)
    threads: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


class AzureState:
    def __init__(self, root: Path, org: str, projects: list[str], states: tuple[str, ...]) -> None:
        self.root, self.org, self.states = root, org, states
        self.projects = {name: str(uuid.uuid5(uuid.NAMESPACE_DNS, name)) for name in projects}
        self.base = ""
        self.state: dict[str, Repo] = {}  # project/name -> repository
        self.work_items: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.writes: list[str] = []
        self.ids = iter(range(41, 1_000_000))
        self.pull_ids = iter(range(7, 1_000_000))
        self.lock = threading.Lock()

    def repo_json(self, repo: Repo) -> dict[str, Any]:
        host = self.base.replace("http://", f"http://{self.org}@")
        item = {
            "id": repo.id,
            "name": repo.name,
            "project": {"id": self.projects[repo.project], "name": repo.project},
            "remoteUrl": f"{host}/{self.org}/{repo.project}/_git/{repo.name}",
            "size": 0,
        }
        if repo.refs():
            item["defaultBranch"] = f"refs/heads/{repo.head()}"
        return item

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, ctype: str
    ) -> Answer:
        with self.lock:
            if method != "GET":
                self.writes.append(f"{method} {path}")
            if path == f"/{self.org}/_apis/projects":
                names = list(self.projects)
                return Answer(200, {"count": len(names), "value": [self.project(n) for n in names]})
            found = re.fullmatch(rf"/{self.org}/_apis/projects/([^/]+)", path)
            if found:
                name = unquote(found.group(1))
                if name not in self.projects:
                    raise _error(404, f"TF200016: The project {name} does not exist.")
                return Answer(200, self.project(name))
            if path.startswith(f"/{self.org}/_apis/wit/workitems"):
                return self.work_item_call(method, path, query, body, ctype)
            found = re.fullmatch(rf"/{self.org}/([^/]+)/_apis/(.+)", path)
            if found is None or unquote(found.group(1)) not in self.projects:
                raise _error(404, "The project does not exist.")
            return self.in_project(unquote(found.group(1)), method, found.group(2), body, ctype)

    def project(self, name: str) -> dict[str, Any]:
        return {"id": self.projects[name], "name": name, "visibility": "private"}

    def in_project(self, project: str, method: str, rest: str, body: Any, ctype: str) -> Answer:
        if rest == "git/repositories" and method == "POST":
            return self.create_repo(project, body)
        if rest == "wit/wiql" and method == "POST":
            return self.wiql(project, body["query"])
        if rest == "wit/workitems/$Issue" and method == "POST":
            return self.new_work_item(project, body, ctype)
        found = re.fullmatch(r"wit/workItems/(\d+)/comments", rest)
        if found:
            item = int(found.group(1))
            if item not in self.work_items:
                raise _error(404, f"TF401232: Work item {item} does not exist.")
            thread = self.comments.setdefault(item, [])
            if method == "POST":
                thread.append({"id": len(thread) + 1, "workItemId": item, "text": body["text"]})
                return Answer(200, thread[-1])
            return Answer(
                200, {"totalCount": len(thread), "count": len(thread), "comments": thread}
            )
        found = re.fullmatch(r"git/repositories/([^/]+)(/.*)?", rest)
        if found is None:
            raise _error(404, "Not found")
        key = unquote(found.group(1))
        repo = next(
            (r for r in self.state.values() if r.project == project and key in (r.id, r.name)),
            None,
        )
        if repo is None:
            raise _error(
                404, f"TF401019: The Git repository with name or identifier {key} does not exist"
            )
        return self.in_repo(repo, method, found.group(2) or "", body)

    def create_repo(self, project: str, body: dict[str, Any]) -> Answer:
        if body["project"]["id"] != self.projects[project]:
            raise _error(400, "The project id does not match")
        folder = self.root / self.org / project / "_git" / body["name"]
        subprocess.run(["git", "init", "--quiet", "--bare", str(folder)], check=True)
        subprocess.run(["git", "-C", str(folder), "config", "http.receivepack", "true"], check=True)
        repo = Repo(str(uuid.uuid4()), body["name"], project, folder)
        self.state[f"{project}/{body['name']}"] = repo
        return Answer(201, self.repo_json(repo))

    def in_repo(self, repo: Repo, method: str, rest: str, body: Any) -> Answer:
        if rest == "":
            if method == "PATCH":
                repo.git("symbolic-ref", "HEAD", body["defaultBranch"])
            return Answer(200, self.repo_json(repo))
        if rest == "/refs":
            heads = [
                {"name": r, "objectId": o}
                for r, o in repo.refs().items()
                if r.startswith("refs/heads/")
            ]
            return Answer(200, {"count": len(heads), "value": heads[:1]})
        if rest == "/pullrequests":
            if method == "POST":
                return Answer(201, self.new_pull(repo, body))
            return Answer(200, {"count": len(repo.pulls), "value": repo.pulls})
        found = re.fullmatch(r"/pull[rR]equests/(\d+)(/threads)?", rest)
        pull = next(
            (p for p in repo.pulls if found and str(p["pullRequestId"]) == found.group(1)), None
        )
        if found is None or pull is None:
            raise _error(404, "TF401180: The requested pull request was not found.")
        if found.group(2):
            threads = repo.threads.setdefault(pull["pullRequestId"], [])
            if method == "POST":
                made = {"id": len(threads) + 1, "status": body.get("status"), "isDeleted": False}
                made["comments"] = [{"id": 1, **c} for c in body["comments"]]
                threads.append(made)
                return Answer(200, made)
            return Answer(200, {"count": len(threads), "value": threads})
        if method == "PATCH":
            pull["status"] = body["status"]
        return Answer(200, pull)

    def new_pull(self, repo: Repo, body: dict[str, Any]) -> dict[str, Any]:
        refs = repo.refs()
        source, target = body["sourceRefName"], body["targetRefName"]
        if source not in refs or target not in refs:
            raise _error(
                400,
                "TF401398: The pull request cannot be activated because the source and/or "
                "the target branch no longer exists",
            )
        if _ancestor(repo.folder, refs[source], refs[target]):
            raise _error(400, "TF401179: no changes between the source and the target")
        for other in repo.pulls:
            if (other["sourceRefName"], other["targetRefName"], other["status"]) == (
                source,
                target,
                "active",
            ):
                raise _error(
                    409,
                    "TF401179: An active pull request for the source and target branch "
                    "already exists.",
                )
        pull = {
            "pullRequestId": next(self.pull_ids),
            "title": body["title"],
            "description": body.get("description") or "",
            "status": "active",
            "isDraft": bool(body.get("isDraft")),
            "sourceRefName": source,
            "targetRefName": target,
            "repository": {"id": repo.id, "name": repo.name},
        }
        repo.pulls.append(pull)
        return pull

    def new_work_item(self, project: str, patch: list[dict[str, Any]], ctype: str) -> Answer:
        if not ctype.startswith("application/json-patch+json"):
            raise _error(415, "The request's content type must be application/json-patch+json")
        fields = {
            "System.TeamProject": project,
            "System.WorkItemType": "Issue",
            "System.State": self.states[0],
        }
        self.apply(fields, patch)
        item = {"id": next(self.ids), "rev": 1, "fields": fields}
        self.work_items[item["id"]] = item
        return Answer(200, item)

    def apply(self, fields: dict[str, Any], patch: list[dict[str, Any]]) -> None:
        for op in patch:
            if op["op"] != "add" or not op["path"].startswith("/fields/"):
                raise _error(400, f"unsupported operation {op}")
            name = op["path"].removeprefix("/fields/")
            if name == "System.State" and op["value"] not in self.states:
                raise _error(
                    400,
                    "TF401320: Rule Error for field State. Error code: Required, LimitedToValues.",
                )
            fields[name] = op["value"]

    def wiql(self, project: str, query: str) -> Answer:
        found = re.search(r"\[System\.Tags\] CONTAINS '((?:[^']|'')*)'", query)
        if found is None or "[System.TeamProject] = @project" not in query:
            raise _error(400, "The fake reads one WIQL shape only")
        tag = found.group(1).replace("''", "'")
        ids = [
            i
            for i, item in sorted(self.work_items.items())
            if item["fields"]["System.TeamProject"] == project
            and tag in [t.strip() for t in str(item["fields"].get("System.Tags", "")).split(";")]
        ]
        return Answer(200, {"queryType": "flat", "workItems": [{"id": i} for i in ids]})

    def work_item_call(
        self, method: str, path: str, query: dict[str, str], body: Any, ctype: str
    ) -> Answer:
        found = re.fullmatch(rf"/{self.org}/_apis/wit/workitems/(\d+)", path)
        if found:
            item = self.work_items.get(int(found.group(1)))
            if item is None:
                raise _error(404, "TF401232: Work item does not exist.")
            if method == "PATCH":
                if not ctype.startswith("application/json-patch+json"):
                    raise _error(
                        415, "The request's content type must be application/json-patch+json"
                    )
                self.apply(item["fields"], body)
                item["rev"] += 1
            return Answer(200, item)
        ids = [int(i) for i in query.get("ids", "").split(",") if i]
        if len(ids) > 200:
            raise _error(400, "VS402337: at most 200 work items a request")
        wanted = query.get("fields", "").split(",")
        value = [
            {
                **self.work_items[i],
                "fields": {k: v for k, v in self.work_items[i]["fields"].items() if k in wanted},
            }
            for i in ids
        ]
        return Answer(200, {"count": len(value), "value": value})


class _Served(AnswerHandler):
    azure: AzureState
    api_authorization: str

    def _route(self) -> None:
        parts = urlsplit(self.path)
        if "/_git/" in parts.path:
            self._cgi()
            return
        if self.headers.get("Authorization") != self.api_authorization:
            self._send(Answer(203, "<html>Sign in</html>"))  # Azure's sign-in page
            return
        if parse_qs(parts.query).get("api-version", [""])[0] not in ("7.1", "7.1-preview.4"):
            self._send(_error(400, "VssVersionOutOfRangeException: a version is required"))
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.loads(raw) if raw else None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        ctype = self.headers.get("Content-Type") or ""
        try:
            answer = self.azure.answer(self.command, parts.path, query, body, ctype)
        except Answer as raised:
            answer = raised
        self._send(answer)

    do_GET = _route
    do_POST = _route
    do_PATCH = _route


class WritableAzure:
    """The fake served; the API needs Basic `:token`, git pushes `pat:token`."""

    def __init__(
        self,
        root: Path,
        *,
        token: str,
        projects: list[str],
        org: str = "acme",
        states: tuple[str, ...] = BASIC,
    ) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.azure = AzureState(root, org, projects, states)
        api = base64.b64encode(f":{token}".encode()).decode()
        git = base64.b64encode(f"pat:{token}".encode()).decode()
        attributes = {
            "azure": self.azure,
            "root": root,
            "backend": _backend(),
            "authorization": f"Basic {git}",
            "api_authorization": f"Basic {api}",
            "seen_authorizations": [],
        }
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Served,), attributes))
        self.httpd.daemon_threads = True
        self.azure.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return self.azure.base

    @property
    def state(self) -> dict[str, Repo]:
        return self.azure.state

    @property
    def writes(self) -> list[str]:
        return self.azure.writes

    def __enter__(self) -> WritableAzure:
        self.thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
