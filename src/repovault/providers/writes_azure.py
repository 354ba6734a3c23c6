"""Writing a restore into Azure DevOps (REST API 7.1), behind the `PlatformWriter` Protocol of
writes.py, whose shapes are GitHub's: this writer answers them and translates the calls.

    the project                      the repository name `project/name` names it; a plain
                                     `name` goes to the organization's first project (by
                                     name, GET /_apis/projects)
    repository / create_repository   GET, POST {project}/_apis/git/repositories (Azure
                                     repositories have no description, and are as private
                                     as their project); the default branch by PATCH
                                     `defaultBranch`
    issues                           work items of type Issue (POST {project}/_apis/wit/
                                     workitems/$Issue, JSON Patch: System.Title,
                                     System.Description, System.Tags), closed by setting
                                     System.State `Done` (the Basic process; `Closed` where
                                     the process refuses `Done`). Work item ids are the
                                     organization's: an issue's number is its place among the
                                     work items tagged `restored:{name}` (made in number order)
    labels                           tags (Azure makes a tag when it is first used)
    comments                         POST .../workItems/{id}/comments (`text`)
    pull requests                    POST .../repositories/{id}/pullrequests (refs/heads/...,
                                     `isDraft`), abandoned when it was closed; its number is
                                     kept by a closed work item pointing to it ("Restored pull
                                     request: see pull request !k."), its thread goes to
                                     the pull request's threads
    milestones, releases             not held: a dry run counts them in `cannotMap`

Pushes use the personal access token over https (`AzureDevOpsDriver.git_credentials`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO
from urllib.parse import quote

from repovault.engine.git import Credentials
from repovault.providers.azure import VERSION, AzureDevOpsDriver
from repovault.providers.base import ProviderAuthError, ProviderError, ProviderNotFound
from repovault.providers.http import without_user
from repovault.providers.write_target import TargetRepository

POINTER = re.compile(r"^Restored pull request: see pull request !(\d+)\.")
COMMENTS = re.compile(r"issues/(\d+)/comments")
PATCH = {"Content-Type": "application/json-patch+json"}
COMMENTS_VERSION = "7.1-preview.4"
FIELDS = "System.Title,System.State,System.Description,System.Tags"
CLOSED = ("Done", "Closed", "Removed", "Resolved")


class AzureWriter:
    """An Azure DevOps organization a restore writes into (one project of it)."""

    drafts = False  # Azure Repos have no releases
    holds = frozenset({"issues", "pulls", "comments", "tags"})  # labels go as tags

    def __init__(self, driver: AzureDevOpsDriver) -> None:
        self.driver = driver
        self.api = driver.api
        self.root = self.api.base_url.rstrip("/").removesuffix("/_apis")  # .../{organization}
        self.projects: list[str] | None = None
        self.repos: dict[str, dict[str, Any]] = {}  # name -> the repository (read once)
        self.items: dict[str, list[int]] = {}  # name -> its work items' ids, number order
        self.pointers: dict[int, int] = {}  # pointer work item id -> its pull request's id
        self.made: dict[str, list[Any]] = {}  # name -> its pull requests (read once)

    # Where ---------------------------------------------------------------------------------

    def _split(self, name: str) -> tuple[str, str]:
        if "/" in name:
            project, _, repo = name.partition("/")
            return project, repo
        if self.projects is None:
            found = self.api.body_pages("/projects", {"api-version": VERSION}, items="value")
            self.projects = sorted(str(p["name"]) for p in found)
        if not self.projects:
            raise ProviderNotFound("Azure DevOps: the organization has no project")
        return self.projects[0], name

    def _url(self, name: str, what: str) -> str:
        project = self._split(name)[0]
        return f"{self.root}/{quote(project, safe='')}/_apis/{what}"

    def _repo_url(self, name: str, what: str = "") -> str:
        repo = self.repos[name]["id"]
        return self._url(name, f"git/repositories/{repo}" + (f"/{what}" if what else ""))

    def _get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return self.api.get(url, {"api-version": VERSION, **(params or {})}).json()

    def _send(
        self, method: str, url: str, body: Any, version: str = VERSION, *, patch: bool = False
    ) -> Any:
        """A write; `patch`: a work item's JSON Patch document."""
        params = {"api-version": version}
        headers = PATCH if patch else None
        return self.api.send(method, url, params=params, body=body, headers=headers).json()

    def _target(self, name: str, item: dict[str, Any]) -> TargetRepository:
        self.repos[name] = item
        clone_url = self.api.require_trusted(without_user(item["remoteUrl"]), "clone URL")
        project = (item.get("project") or {}).get("name") or self._split(name)[0]
        branches = self._get(self._repo_url(name, "refs"), {"filter": "heads/", "$top": 1})
        empty = not branches.get("value")
        return TargetRepository(f"{project}/{item['name']}", clone_url, empty)

    def repository(self, name: str) -> TargetRepository | None:
        try:
            item = self._get(self._url(name, f"git/repositories/{quote(self._split(name)[1])}"))
        except ProviderNotFound:
            return None
        return self._target(name, item)

    def create_repository(self, name: str, *, description: str, private: bool) -> TargetRepository:
        project = self._get(f"{self.root}/_apis/projects/{quote(self._split(name)[0])}")
        body = {"name": self._split(name)[1], "project": {"id": project["id"]}}
        item = self._send("POST", self._url(name, "git/repositories"), body)
        return self._target(name, item)

    def set_default_branch(self, name: str, branch: str) -> None:
        self._send("PATCH", self._repo_url(name), {"defaultBranch": f"refs/heads/{branch}"})

    # Reading -------------------------------------------------------------------------------

    def _tag(self, name: str) -> str:
        return f"restored:{self._split(name)[1]}"

    def _issue(self, number: int, item: dict[str, Any]) -> dict[str, Any]:
        fields = item.get("fields") or {}
        text = str(fields.get("System.Description") or "")
        state = "closed" if fields.get("System.State") in CLOSED else "open"
        issue = {**item, "number": number, "title": fields.get("System.Title"), "state": state}
        found = POINTER.match(text)
        if found:
            self.pointers[item["id"]] = int(found.group(1))
            issue["pull_request"] = {"pullRequestId": int(found.group(1))}
        return issue

    def numbered(self, name: str) -> Iterator[Any]:
        """The work items tagged for this repository, in id order: the k-th is number k."""
        tag = self._tag(name).replace("'", "''")  # WIQL's quoting: a quote doubled
        query = (
            "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "  # noqa: S608
            f"AND [System.Tags] CONTAINS '{tag}' ORDER BY [System.Id]"
        )
        found = self._send("POST", self._url(name, "wit/wiql"), {"query": query})
        ids = [int(item["id"]) for item in found.get("workItems") or []]
        self.items[name] = ids
        items: list[dict[str, Any]] = []
        for start in range(0, len(ids), 200):  # at most 200 a request
            chunk = ",".join(str(i) for i in ids[start : start + 200])
            params = {"ids": chunk, "fields": FIELDS}
            items.extend(self._get(f"{self.root}/_apis/wit/workitems", params)["value"])
        by_id = {item["id"]: item for item in items}
        return (self._issue(k + 1, by_id[i]) for k, i in enumerate(ids))

    def _comments_url(self, name: str, number: int) -> tuple[str, bool]:
        """The thread of `number`: its pull request's threads, or its work item's comments."""
        if name not in self.items:
            list(self.numbered(name))
        item = self.items[name][number - 1]
        if item in self.pointers:
            return self._repo_url(name, f"pullRequests/{self.pointers[item]}/threads"), True
        return self._url(name, f"wit/workItems/{item}/comments"), False

    def list(self, name: str, what: str) -> Iterator[Any]:
        found = COMMENTS.fullmatch(what)
        if found:
            url, pull = self._comments_url(name, int(found.group(1)))
            if pull:
                threads = self._get(url)["value"]
                return iter([t for t in threads if not t.get("isDeleted") and _ours(t)])
            params = {"api-version": COMMENTS_VERSION}
            answer = self.api.get(url, params).json()
            return iter(answer.get("comments") or [])
        if what == "issues":
            return (i for i in self.numbered(name) if not i.get("pull_request"))
        return iter(())  # labels (tags are made by use), milestones, releases

    # Writing -------------------------------------------------------------------------------

    def create(self, name: str, what: str, body: dict[str, Any]) -> Any:
        found = COMMENTS.fullmatch(what)
        if not found:
            raise ProviderError(f"Azure DevOps: a restore does not create {what}", permanent=True)
        url, pull = self._comments_url(name, int(found.group(1)))
        if pull:
            thread = {
                "comments": [{"parentCommentId": 0, "content": body["body"], "commentType": 1}]
            }
            return self._send("POST", url, {**thread, "status": 1})
        return self._send("POST", url, {"text": body["body"]}, COMMENTS_VERSION)

    def create_issue(self, name: str, body: dict[str, Any], *, closed: bool) -> Any:
        """Made open: one that ends closed is closed by `close_issues`."""
        tags = [self._tag(name), *(str(label) for label in body.get("labels") or [])]
        patch = [
            {"op": "add", "path": "/fields/System.Title", "value": body["title"]},
            {"op": "add", "path": "/fields/System.Description", "value": body.get("body") or ""},
            {"op": "add", "path": "/fields/System.Tags", "value": "; ".join(tags)},
        ]
        if name not in self.items:
            list(self.numbered(name))
        made = self._send("POST", self._url(name, "wit/workitems/$Issue"), patch, patch=True)
        self.items[name].append(int(made["id"]))
        return self._issue(len(self.items[name]), made)

    def _close(self, item: int) -> Any:
        url = f"{self.root}/_apis/wit/workitems/{item}"
        for state in ("Done", "Closed"):
            patch = [{"op": "add", "path": "/fields/System.State", "value": state}]
            try:
                return self._send("PATCH", url, patch, patch=True)
            except (ProviderNotFound, ProviderAuthError):
                raise
            except ProviderError as refused:  # a process without `Done`: try `Closed`
                if not refused.permanent or state == "Closed":
                    raise
        return None

    def close_issue(self, name: str, number: int, *, pull: bool = False) -> None:
        item = self.items[name][number - 1]
        if pull and item in self.pointers:
            self._abandon(name, self.pointers[item])
        self._close(item)

    def close_issues(self, name: str, issues: Sequence[dict[str, Any]]) -> None:
        for issue in issues:
            self.close_issue(name, issue["number"], pull=bool(issue.get("pull_request")))

    def _abandon(self, name: str, pull: int) -> None:
        self._send("PATCH", self._repo_url(name, f"pullrequests/{pull}"), {"status": "abandoned"})

    def create_pull(
        self,
        name: str,
        body: dict[str, Any],
        *,
        labels: Sequence[Any],
        milestone: Any,
        closed: bool,
    ) -> Any | None:
        """The pull request (one an earlier attempt made for the same branches and title is
        taken), abandoned when it was closed, then the closed work item keeping its number;
        None when Azure DevOps refuses it."""
        pull = self._pull_request(name, body)
        if pull is None:
            return None
        number = pull["pullRequestId"]
        if closed and pull.get("status") == "active":
            self._abandon(name, number)
        text = f"Restored pull request: see pull request !{number}.\n\n{body.get('body') or ''}"
        pointer = self.create_issue(
            name, {"title": body["title"], "body": text, "labels": list(labels)}, closed=True
        )
        self._close(pointer["id"])
        return {**pointer, "state": "closed" if closed else "open"}

    def _pull_request(self, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        source, target = f"refs/heads/{body['head']}", f"refs/heads/{body['base']}"
        if name not in self.made:
            params = {"searchCriteria.status": "all", "$top": 1000}
            self.made[name] = list(self._get(self._repo_url(name, "pullrequests"), params)["value"])
        for item in self.made[name]:
            if (item.get("sourceRefName"), item.get("targetRefName"), item.get("title")) == (
                source,
                target,
                body["title"],
            ):
                return dict(item)
        wanted = {
            "sourceRefName": source,
            "targetRefName": target,
            "title": body["title"],
            "description": body.get("body") or "",
            "isDraft": bool(body.get("draft")),
        }
        try:
            made = self._send("POST", self._repo_url(name, "pullrequests"), wanted)
        except (ProviderNotFound, ProviderAuthError):
            raise
        except ProviderError as refused:
            if not refused.permanent:
                raise
            return None  # 400/409: no changes, one active for the branches, ...
        self.made[name].append(made)
        return dict(made)

    def upload_asset(self, name: str, release: dict[str, Any], file: str, data: BinaryIO) -> Any:
        raise ProviderError("Azure DevOps has no releases for a repository", permanent=True)

    def wiki_url(self, name: str) -> str | None:
        return None  # a project wiki is not a repository's: not restored into

    def label_ref(self, label: dict[str, Any]) -> Any:
        return label["name"]

    def milestone_ref(self, milestone: dict[str, Any]) -> Any:
        return milestone.get("title")

    def git_credentials(self) -> Credentials | None:
        return self.driver.git_credentials()


def _ours(thread: dict[str, Any]) -> bool:
    """A thread people wrote (not one Azure DevOps adds itself for a vote or a push)."""
    comments = thread.get("comments") or [{}]
    return comments[0].get("commentType") in (1, "text")
