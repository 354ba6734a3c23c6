"""Recorded-response fakes of GitLab, Bitbucket Cloud and Gitea (shapes from their REST API
documentation), and one transport that routes each request to the right platform by host."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx

from tests.providers.fake_github import FakeGitHub


def _page(request: httpx.Request, items: list[Any], size_param: str) -> tuple[list[Any], bool]:
    size = int(request.url.params.get(size_param, 20))
    page = int(request.url.params.get("page", 1))
    return items[(page - 1) * size : page * size], page * size < len(items)


def _link_next(request: httpx.Request) -> dict[str, str]:
    page = int(request.url.params.get("page", 1))
    url = request.url.copy_with(params=dict(request.url.params, page=str(page + 1)))
    return {"Link": f'<{url}>; rel="next"'}


def gitlab_project(project_id: int, path: str, visibility: str = "private") -> dict[str, Any]:
    namespace, _, name = path.rpartition("/")
    return {
        "id": project_id,
        "description": None,
        "name": name,
        "name_with_namespace": path.replace("/", " / "),
        "path": name,
        "path_with_namespace": path,
        "created_at": "2013-09-30T13:46:02Z",
        "default_branch": "main",
        "ssh_url_to_repo": f"git@gitlab.example.com:{path}.git",
        "http_url_to_repo": f"https://gitlab.example.com/{path}.git",
        "web_url": f"https://gitlab.example.com/{path}",
        "visibility": visibility,
        "wiki_enabled": project_id % 2 == 1,
        "issues_enabled": True,
        "namespace": {
            "id": 2,
            "name": namespace,
            "path": namespace,
            "kind": "group",
            "full_path": namespace,
        },
    }


def _data_page(
    request: httpx.Request, data: dict[str, Any], endpoint: str, size_param: str
) -> httpx.Response:
    if endpoint not in data:
        return httpx.Response(404, json={"message": "404 Not found"})
    if isinstance(data[endpoint], dict):  # an endpoint that answers one object
        return httpx.Response(200, json=data[endpoint])
    chunk, more = _page(request, data[endpoint], size_param)
    return httpx.Response(200, json=chunk, headers=_link_next(request) if more else {})


class FakeGitLab:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}  # release link files by path
        self.groups: dict[str, list[dict[str, Any]]] = {}
        self.valid_tokens: set[str] | None = None
        # path -> endpoint -> items (or the one object it answers: approvals)
        self.projects: dict[str, dict[str, Any]] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("private-token")
        if self.valid_tokens is not None and token not in self.valid_tokens:
            return httpx.Response(401, json={"message": "401 Unauthorized"})
        path = request.url.raw_path.decode().split("?")[0]
        if "/-/releases/" in path and "/downloads/" in path:  # a release link's file
            content = self.files.get(path)
            if content is None:
                return httpx.Response(404, json={"message": "404 Not Found"})
            return httpx.Response(200, content=content)
        data = re.fullmatch(r"/api/v4/projects/([^/]+)/(.+)", path)
        if data:
            project = data.group(1).replace("%2F", "/")
            if project not in self.projects:
                return httpx.Response(404, json={"message": "404 Project Not Found"})
            return _data_page(request, self.projects[project], data.group(2), "per_page")
        match = re.fullmatch(r"/api/v4/groups/([^/]+)(/projects)?", path)
        if match:
            group = httpx.URL("/" + match.group(1)).path.strip("/").replace("%2F", "/")
            if group not in self.groups:
                return httpx.Response(404, json={"message": "404 Group Not Found"})
            if not match.group(2):
                return httpx.Response(
                    200,
                    json={
                        "id": 4,
                        "name": group,
                        "path": group,
                        "full_path": group,
                        "visibility": "private",
                    },
                )
            chunk, more = _page(request, self.groups[group], "per_page")
            return httpx.Response(200, json=chunk, headers=_link_next(request) if more else {})
        if path == "/api/v4/users":
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"message": "404 Not Found"})


def bitbucket_repository(
    uuid: str, full_name: str, private: bool = True, wiki: bool = False
) -> dict[str, Any]:
    workspace, _, slug = full_name.partition("/")
    return {
        "type": "repository",
        "uuid": uuid,
        "full_name": full_name,
        "name": slug,
        "slug": slug,
        "is_private": private,
        "has_wiki": wiki,
        "scm": "git",
        "mainbranch": {"name": "main", "type": "branch"},
        "links": {
            "html": {"href": f"https://bitbucket.org/{full_name}"},
            "clone": [
                {"name": "https", "href": f"https://someone@bitbucket.org/{full_name}.git"},
                {"name": "ssh", "href": f"git@bitbucket.org:{full_name}.git"},
            ],
        },
        "workspace": {"type": "workspace", "slug": workspace, "name": workspace},
    }


class FakeBitbucket:
    def __init__(self) -> None:
        self.workspaces: dict[str, list[dict[str, Any]]] = {}
        self.valid_basic: str | None = None
        self.repos: dict[str, dict[str, list[Any]]] = {}  # workspace/slug -> endpoint -> items

    def _repo_data(self, request: httpx.Request, repo: str, endpoint: str) -> httpx.Response:
        items = self.repos.get(repo, {}).get(endpoint)
        if items is None:
            return httpx.Response(
                404,
                json={"type": "error", "error": {"message": "Repository has no issue tracker."}},
            )
        return self._body_page(request, items)

    @staticmethod
    def _body_page(request: httpx.Request, items: list[Any]) -> httpx.Response:
        chunk, more = _page(request, items, "pagelen")
        page = int(request.url.params.get("page", 1))
        body: dict[str, Any] = {
            "pagelen": len(chunk),
            "page": page,
            "size": len(items),
            "values": chunk,
        }
        if more:
            body["next"] = str(
                request.url.copy_with(params=dict(request.url.params, page=str(page + 1)))
            )
        return httpx.Response(200, json=body)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if (
            self.valid_basic is not None
            and request.headers.get("authorization") != self.valid_basic
        ):
            return httpx.Response(
                401, json={"type": "error", "error": {"message": "Invalid credentials"}}
            )
        data = re.fullmatch(r"/2.0/repositories/([^/]+/[^/]+)/(.+)", request.url.path)
        if data:
            return self._repo_data(request, data.group(1), data.group(2))
        match = re.fullmatch(r"/2.0/(workspaces|repositories)/([^/]+)", request.url.path)
        if not match or match.group(2) not in self.workspaces:
            return httpx.Response(
                404,
                json={"type": "error", "error": {"message": "No workspace with identifier 'x'."}},
            )
        workspace = match.group(2)
        if match.group(1) == "workspaces":
            return httpx.Response(
                200, json={"type": "workspace", "uuid": "{w}", "slug": workspace, "name": workspace}
            )
        chunk, more = _page(request, self.workspaces[workspace], "pagelen")
        page = int(request.url.params.get("page", 1))
        body: dict[str, Any] = {
            "pagelen": len(chunk),
            "page": page,
            "size": len(self.workspaces[workspace]),
            "values": chunk,
        }
        if more:
            body["next"] = str(
                request.url.copy_with(params=dict(request.url.params, page=str(page + 1)))
            )
        return httpx.Response(200, json=body)


def gitea_repository(repo_id: int, full_name: str, private: bool = False) -> dict[str, Any]:
    owner, _, name = full_name.partition("/")
    return {
        "id": repo_id,
        "owner": {"id": 1, "login": owner, "username": owner},
        "name": name,
        "full_name": full_name,
        "private": private,
        "fork": False,
        "html_url": f"https://forge.example.com/{full_name}",
        "clone_url": f"https://forge.example.com/{full_name}.git",
        "ssh_url": f"git@forge.example.com:{full_name}.git",
        "default_branch": "main",
        "archived": False,
    }


# Gitea lists that page (page, limit) with X-Total-Count but send no Link header (their
# handlers call SetTotalCountHeader only; see recorded/gitea_lists.json), and the review
# comments, which come whole in one answer (recorded/gitea_pull_review_comments.json).
GITEA_NO_LINK = re.compile(r"labels|milestones|issues/comments|pulls/\d+/reviews")
GITEA_WHOLE = re.compile(r"pulls/\d+/reviews/\d+/comments")
GITEA_MAX_ITEMS = 50  # [api] MAX_RESPONSE_ITEMS: a larger limit is cut to it
GITEA_DEFAULT_ITEMS = 30  # [api] DEFAULT_PAGING_NUM


def _gitea_page(request: httpx.Request, items: list[Any], endpoint: str) -> httpx.Response:
    if GITEA_WHOLE.fullmatch(endpoint):
        return httpx.Response(200, json=items)
    asked = int(request.url.params.get("limit", GITEA_DEFAULT_ITEMS))
    size = min(asked, GITEA_MAX_ITEMS)
    page = max(1, int(request.url.params.get("page", 1)))
    chunk = items[(page - 1) * size : page * size]
    headers = {"X-Total-Count": str(len(items))}
    if page * size < len(items) and not GITEA_NO_LINK.fullmatch(endpoint):
        headers.update(_link_next(request))
    return httpx.Response(200, json=chunk, headers=headers)


class FakeGitea:
    def __init__(self) -> None:
        self.orgs: dict[str, list[dict[str, Any]]] = {}
        self.repos: dict[str, dict[str, list[Any]]] = {}  # owner/name -> endpoint -> items
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        data = re.fullmatch(r"/api/v1/repos/([^/]+/[^/]+)/(.+)", request.url.path)
        if data:
            if data.group(1) not in self.repos:
                return httpx.Response(404, json={"message": "The target couldn't be found."})
            endpoints = self.repos[data.group(1)]
            if data.group(2) not in endpoints:
                return httpx.Response(404, json={"message": "The target couldn't be found."})
            return _gitea_page(request, endpoints[data.group(2)], data.group(2))
        match = re.fullmatch(r"/api/v1/(orgs|users)/([^/]+)(/repos)?", request.url.path)
        if not match or match.group(1) != "orgs" or match.group(2) not in self.orgs:
            return httpx.Response(
                404,
                json={"message": "GetOrgByName", "url": "https://forge.example.com/api/swagger"},
            )
        org = match.group(2)
        if not match.group(3):
            return httpx.Response(200, json={"id": 1, "name": org, "username": org})
        chunk, more = _page(request, self.orgs[org], "limit")
        headers = {"X-Total-Count": str(len(self.orgs[org]))}
        if more:
            headers.update(_link_next(request))
        return httpx.Response(200, json=chunk, headers=headers)


def azure_project(project_id: str, name: str) -> dict[str, Any]:
    return {
        "id": project_id,
        "name": name,
        "description": None,
        "url": f"https://dev.azure.com/fabrikam/_apis/projects/{project_id}",
        "state": "wellFormed",
        "revision": 411,
        "visibility": "private",
        "lastUpdateTime": "2024-04-08T18:32:17.037Z",
    }


def azure_repository(
    repo_id: str, name: str, project: dict[str, Any], disabled: bool = False
) -> dict[str, Any]:
    org = "fabrikam"
    return {
        "id": repo_id,
        "name": name,
        "url": f"https://dev.azure.com/{org}/_apis/git/repositories/{repo_id}",
        "project": project,
        "defaultBranch": "refs/heads/main",
        "size": 1024,
        "remoteUrl": f"https://{org}@dev.azure.com/{org}/{project['name']}/_git/{name}",
        "sshUrl": f"git@ssh.dev.azure.com:v3/{org}/{project['name']}/{name}",
        "webUrl": f"https://dev.azure.com/{org}/{project['name']}/_git/{name}",
        "isDisabled": disabled,
    }


def azure_wiki(
    wiki_id: str, name: str, project: dict[str, Any], repository_id: str
) -> dict[str, Any]:
    return {
        "id": wiki_id,
        "name": name,
        "type": "projectWiki",
        "projectId": project["id"],
        "repositoryId": repository_id,
        "mappedPath": "/",
        "url": f"https://dev.azure.com/fabrikam/{project['id']}/_apis/wiki/wikis/{wiki_id}",
        "remoteUrl": f"https://dev.azure.com/fabrikam/{project['id']}/_wiki/wikis/{wiki_id}",
    }


class FakeAzure:
    """Any organization exists (empty) unless filled; projects come two to a page."""

    def __init__(self) -> None:
        self.projects: list[dict[str, Any]] = []
        self.repositories: list[dict[str, Any]] = []
        self.wikis: list[dict[str, Any]] = []
        self.valid_tokens: set[str] | None = None
        self.requests: list[httpx.Request] = []
        self.repo_data: dict[str, dict[str, list[Any]]] = {}  # repository id -> endpoint

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        auth = request.headers.get("authorization", "")
        token = base64.b64decode(auth.removeprefix("Basic ")).decode().lstrip(":") if auth else ""
        if self.valid_tokens is not None and token not in self.valid_tokens:
            return httpx.Response(
                203,
                text="<html><head><title>Azure DevOps Services | Sign In"
                "</title></head><body></body></html>",
                headers={"Content-Type": "text/html"},
            )
        kind = request.url.path.split("/_apis/", 1)[-1]
        data = re.fullmatch(r"git/repositories/([^/]+)/(.+)", kind)
        if data:
            items = self.repo_data.get(data.group(1), {}).get(data.group(2))
            if items is None:
                return httpx.Response(404, json={"message": "TF401019: not found"})
            top = int(request.url.params.get("$top", 100))
            skip = int(request.url.params.get("$skip", 0))
            chunk = items[skip : skip + top]
            return httpx.Response(200, json={"count": len(chunk), "value": chunk})
        if kind == "projects":
            start = int(request.url.params.get("continuationToken", 0))
            chunk = self.projects[start : start + 2]
            headers = {}
            if start + 2 < len(self.projects):
                headers["x-ms-continuationtoken"] = str(start + 2)
            return httpx.Response(200, json={"count": len(chunk), "value": chunk}, headers=headers)
        table = {"git/repositories": self.repositories, "wiki/wikis": self.wikis}.get(kind)
        if table is None:
            return httpx.Response(404, json={"message": "The resource cannot be found."})
        return httpx.Response(200, json={"count": len(table), "value": table})


def bitbucket_server_repository(repo_id: int, project: str, slug: str) -> dict[str, Any]:
    host = "bitbucket.example.com"
    return {
        "slug": slug,
        "id": repo_id,
        "name": slug,
        "scmId": "git",
        "state": "AVAILABLE",
        "statusMessage": "Available",
        "forkable": True,
        "public": False,
        "project": {"key": project, "id": 1, "name": project, "public": False, "type": "NORMAL"},
        "links": {
            "clone": [
                {"href": f"ssh://git@{host}:7999/{project.lower()}/{slug}.git", "name": "ssh"},
                {"href": f"https://{host}/scm/{project.lower()}/{slug}.git", "name": "http"},
            ],
            "self": [{"href": f"https://{host}/projects/{project}/repos/{slug}/browse"}],
        },
    }


def _start_page(request: httpx.Request, items: list[dict[str, Any]]) -> httpx.Response:
    """A Data Center page: `start`/`limit`, `isLastPage`, `nextPageStart`."""
    start = int(request.url.params.get("start", 0))
    limit = int(request.url.params.get("limit", 25))
    chunk = items[start : start + limit]
    last = start + limit >= len(items)
    body: dict[str, Any] = {
        "size": len(chunk),
        "limit": limit,
        "isLastPage": last,
        "values": chunk,
        "start": start,
    }
    if not last:
        body["nextPageStart"] = start + limit
    return httpx.Response(200, json=body)


def dc_user(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "emailAddress": f"{name}@example.com",
        "id": 101,
        "displayName": name,
        "active": True,
        "slug": name,
        "type": "NORMAL",
    }


def dc_pull_request(number: int, state: str = "OPEN") -> dict[str, Any]:
    return {
        "id": number,
        "version": 0,
        "title": f"Change {number}",
        "description": "Details",
        "state": state,
        "open": state == "OPEN",
        "closed": state != "OPEN",
        "createdDate": 1700000000000,
        "updatedDate": 1700000100000,
        "fromRef": {"id": "refs/heads/feature", "displayId": "feature", "latestCommit": "a" * 40},
        "toRef": {"id": "refs/heads/main", "displayId": "main", "latestCommit": "b" * 40},
        "locked": False,
        "author": {
            "user": dc_user("alice"),
            "role": "AUTHOR",
            "approved": False,
            "status": "UNAPPROVED",
        },
        "reviewers": [
            {"user": dc_user("bob"), "role": "REVIEWER", "approved": True, "status": "APPROVED"}
        ],
        "participants": [],
        "links": {
            "self": [
                {
                    "href": f"https://bitbucket.example.com/projects/PRJ/repos/app/pull-requests/{number}"
                }
            ]
        },
    }


def dc_comment_activity(activity_id: int, text: str) -> dict[str, Any]:
    return {
        "id": activity_id,
        "createdDate": 1700000050000,
        "user": dc_user("bob"),
        "action": "COMMENTED",
        "commentAction": "ADDED",
        "comment": {
            "id": activity_id,
            "version": 0,
            "text": text,
            "author": dc_user("bob"),
            "createdDate": 1700000050000,
            "updatedDate": 1700000050000,
            "comments": [],
        },
    }


class FakeBitbucketServer:
    def __init__(self) -> None:
        self.projects: dict[str, list[dict[str, Any]]] = {}
        self.pull_requests: dict[str, list[dict[str, Any]]] = {}  # "PRJ/slug" -> pulls
        self.activities: dict[int, list[dict[str, Any]]] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        pulls = re.fullmatch(
            r"/rest/api/1.0/projects/([^/]+)/repos/([^/]+)/pull-requests(?:/(\d+)/activities)?",
            request.url.path,
        )
        if pulls:
            key = f"{pulls.group(1)}/{pulls.group(2)}"
            if key not in self.pull_requests:
                return httpx.Response(
                    404, json={"errors": [{"message": f"Repository {key} does not exist."}]}
                )
            if pulls.group(3):
                return _start_page(request, self.activities.get(int(pulls.group(3)), []))
            return _start_page(request, self.pull_requests[key])
        match = re.fullmatch(r"/rest/api/1.0/projects/([^/]+)(/repos)?", request.url.path)
        if not match or match.group(1) not in self.projects:
            return httpx.Response(
                404,
                json={
                    "errors": [
                        {
                            "context": None,
                            "message": "Project PRJ does not exist.",
                            "exceptionName": "com.atlassian.bitbucket.project."
                            "NoSuchProjectException",
                        }
                    ]
                },
            )
        if not match.group(2):
            return httpx.Response(
                200, json={"key": match.group(1), "id": 1, "name": match.group(1), "type": "NORMAL"}
            )
        return _start_page(request, self.projects[match.group(1)])


class Platforms:
    """Every platform the tests talk to, behind one transport."""

    def __init__(self) -> None:
        self.github = FakeGitHub()
        self.gitlab = FakeGitLab()
        self.bitbucket = FakeBitbucket()
        self.gitea = FakeGitea()
        self.azure = FakeAzure()
        self.bitbucket_server = FakeBitbucketServer()
        self.webhooks: list[httpx.Request] = []  # what reached hooks.example.com

    def handler(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == "hooks.example.com":
            self.webhooks.append(request)
            return httpx.Response(200, text="ok")
        if host == "api.bitbucket.org":
            return self.bitbucket.handler(request)
        if "gitlab" in host:
            return self.gitlab.handler(request)
        if host == "forge.example.com":
            return self.gitea.handler(request)
        if host == "dev.azure.com":
            return self.azure.handler(request)
        if host == "bitbucket.example.com":
            return self.bitbucket_server.handler(request)
        return self.github.handler(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))
