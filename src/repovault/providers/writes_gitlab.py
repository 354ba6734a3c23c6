"""Writing a restore into GitLab (REST API v4), behind the `PlatformWriter` Protocol of
writes.py, whose shapes are GitHub's: this writer answers them (`number` for an issue's
`iid`, a milestone's `iid`; a release named by its tag) and translates the calls.

    repository / create_repository   GET /projects/:path; POST /projects in the group's
                                     namespace (`namespace_id` from GET /groups/:path), or
                                     the token's own namespace for a user
    labels, milestones               POST /projects/:id/labels (colour `#rrggbb`),
                                     /milestones (closed by PUT `state_event: close`)
    issues                           POST /projects/:id/issues (labels by name, milestone_id),
                                     closed by PUT `state_event: close`; in number order, so
                                     an empty project's issues keep their numbers (`iid` is
                                     settable by administrators only: not asked for)
    comments                         notes (`system` notes, GitLab's own, are not counted)
    pull requests                    a merge request (`source_branch`, `target_branch`; a
                                     draft's title starts `Draft: `), closed when it was; its
                                     number is GitLab's `!k`, so the number it had is kept by
                                     a closed issue pointing to it ("Restored pull request:
                                     see !k."), and its thread goes to the merge request
    releases and their files         POST /projects/:id/releases; a file is uploaded
                                     (POST /projects/:id/uploads) and linked to the release
                                     (POST .../releases/:tag/assets/links): GitLab releases
                                     hold links, not files; GitLab has no draft releases

Pushes use `oauth2:<token>` over https (engine/push.py), as GitLab documents for tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO
from urllib.parse import quote

import httpx

from repovault.engine.git import Credentials
from repovault.providers.base import ProviderAuthError, ProviderError, ProviderNotFound
from repovault.providers.gitlab import GitLabDriver
from repovault.providers.http import wiki_of
from repovault.providers.write_target import TargetRepository

POINTER = re.compile(r"^Restored pull request: see !(\d+)\.")
COMMENTS = re.compile(r"issues/(\d+)/comments")
DRAFT = "Draft: "


def _state(item: dict[str, Any]) -> str:
    return "open" if item.get("state") in ("opened", "active", "reopened") else "closed"


class GitLabWriter:
    """A GitLab group (or the token's user) a restore writes into."""

    drafts = False  # GitLab has no draft releases

    def __init__(self, driver: GitLabDriver) -> None:
        self.driver = driver
        self.api = driver.api
        self.owner = driver.access.name
        # pointer issue iid -> its merge request's iid (for the thread and the state)
        self.merge_requests: dict[int, int] = {}
        self.merges: dict[str, list[Any]] = {}  # project -> its merge requests (read once)
        self.pages: dict[str, str] = {}  # project -> its web page (`web_url`)

    def _path(self, name: str, what: str = "") -> str:
        project = quote(f"{self.owner}/{name}", safe="")
        return f"/projects/{project}" + (f"/{what}" if what else "")

    def _target(self, item: dict[str, Any]) -> TargetRepository:
        clone_url = self.api.require_trusted(item["http_url_to_repo"], "clone URL")
        empty = bool(item.get("empty_repo"))
        return TargetRepository(item["path_with_namespace"], clone_url, empty)

    def repository(self, name: str) -> TargetRepository | None:
        try:
            return self._target(self.api.get(self._path(name)).json())
        except ProviderNotFound:
            return None

    def create_repository(self, name: str, *, description: str, private: bool) -> TargetRepository:
        body: dict[str, Any] = {
            "name": name,
            "path": name,
            "description": description,
            "visibility": "private" if private else "public",
        }
        if self.driver._owner_kind() == "group":
            group = self.api.get(f"/groups/{quote(self.owner, safe='')}").json()
            body["namespace_id"] = group["id"]
        item = self.api.send("POST", "/projects", body=body).json()
        return self._target({**item, "empty_repo": True})

    def set_default_branch(self, name: str, branch: str) -> None:
        self.api.send("PUT", self._path(name), body={"default_branch": branch})

    # Reading -------------------------------------------------------------------------------

    def _issue(self, item: dict[str, Any]) -> dict[str, Any]:
        issue = {**item, "number": item["iid"], "state": _state(item)}
        found = POINTER.match(str(item.get("description") or ""))
        if found:
            self.merge_requests[item["iid"]] = int(found.group(1))
            issue["pull_request"] = {"merge_request_iid": int(found.group(1))}
        return issue

    def _release(self, item: dict[str, Any]) -> dict[str, Any]:
        links = (item.get("assets") or {}).get("links") or []
        assets = [{"id": link.get("id"), "name": link.get("name")} for link in links]
        return {**item, "id": item["tag_name"], "body": item.get("description"), "assets": assets}

    def _notes(self, name: str, number: int) -> str:
        if number in self.merge_requests:
            return f"merge_requests/{self.merge_requests[number]}/notes"
        return f"issues/{number}/notes"

    def list(self, name: str, what: str) -> Iterator[Any]:
        found = COMMENTS.fullmatch(what)
        if found:
            params = {"per_page": 100, "sort": "asc", "order_by": "created_at"}
            notes = self.api.pages(self._path(name, self._notes(name, int(found.group(1)))), params)
            return (note for note in notes if not note.get("system"))
        if what == "issues":
            return (i for i in self.numbered(name) if not i.get("pull_request"))
        items = self.api.pages(self._path(name, what), {"per_page": 100})
        if what == "milestones":
            return ({**m, "number": m["iid"], "state": _state(m)} for m in items)
        if what == "releases":
            return (self._release(release) for release in items)
        return items

    def numbered(self, name: str) -> Iterator[Any]:
        """Every issue by number; an issue keeping a merge request's number that an earlier
        attempt made but did not close (it stopped in between) is closed now."""
        params = {"per_page": 100, "state": "all", "sort": "asc", "order_by": "created_at"}
        items = sorted(self.api.pages(self._path(name, "issues"), params), key=lambda i: i["iid"])
        for item in items:
            if item.get("state") == "opened" and POINTER.match(str(item.get("description"))):
                item.update(self._close(name, f"issues/{item['iid']}"))
        return (self._issue(item) for item in items)

    # Writing -------------------------------------------------------------------------------

    def create(self, name: str, what: str, body: dict[str, Any]) -> Any:
        found = COMMENTS.fullmatch(what)
        if found:
            path = self._path(name, self._notes(name, int(found.group(1))))
            return self.api.send("POST", path, body={"body": body["body"]}).json()
        if what == "labels":
            color = str(body.get("color") or "ededed")
            made = {**body, "color": color if color.startswith("#") else f"#{color}"}
            return self.api.send("POST", self._path(name, "labels"), body=made).json()
        if what == "milestones":
            return self._milestone(name, body)
        if what == "releases":
            return self._new_release(name, body)
        raise ProviderError(f"GitLab: a restore does not create {what}", permanent=True)

    def _milestone(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        wanted = {"title": body["title"], "description": body.get("description") or ""}
        if body.get("due_on"):
            wanted["due_date"] = str(body["due_on"])[:10]
        made = self.api.send("POST", self._path(name, "milestones"), body=wanted).json()
        if body.get("state") == "closed":
            path = self._path(name, f"milestones/{made['id']}")
            made = self.api.send("PUT", path, body={"state_event": "close"}).json()
        return {**made, "number": made["iid"], "state": _state(made)}

    def _new_release(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        text = str(body.get("body") or "")
        if body.get("draft"):
            text = f"_A draft release in the original repository._\n\n{text}"
        wanted = {"tag_name": body["tag_name"], "name": body.get("name"), "description": text}
        made = self.api.send("POST", self._path(name, "releases"), body=wanted).json()
        return self._release(made)

    def create_issue(self, name: str, body: dict[str, Any], *, closed: bool) -> Any:
        wanted: dict[str, Any] = {"title": body["title"], "description": body.get("body") or ""}
        if body.get("labels"):
            wanted["labels"] = ",".join(str(label) for label in body["labels"])
        if body.get("milestone") is not None:
            wanted["milestone_id"] = body["milestone"]
        made = self.api.send("POST", self._path(name, "issues"), body=wanted).json()
        if closed:
            made = self._close(name, f"issues/{made['iid']}")
        return self._issue(made)

    def _close(self, name: str, what: str) -> Any:
        return self.api.send("PUT", self._path(name, what), body={"state_event": "close"}).json()

    def close_issue(self, name: str, number: int, *, pull: bool = False) -> None:
        if pull and number in self.merge_requests:
            self._close(name, f"merge_requests/{self.merge_requests[number]}")
        self._close(name, f"issues/{number}")

    def close_issues(self, name: str, issues: Sequence[dict[str, Any]]) -> None:
        for issue in issues:
            self.close_issue(name, issue["number"], pull=bool(issue.get("pull_request")))

    def create_pull(
        self,
        name: str,
        body: dict[str, Any],
        *,
        labels: Sequence[Any],
        milestone: Any,
        closed: bool,
    ) -> Any | None:
        """The merge request (one made by an earlier attempt for the same branches and
        title is taken, not made twice), closed when it was, then the closed issue that
        keeps its number; None when GitLab refuses it."""
        title = (DRAFT if body.get("draft") else "") + str(body["title"])
        merge = self._merge_request(name, body, title, labels, milestone)
        if merge is None:
            return None
        if closed and merge.get("state") == "opened":
            self._close(name, f"merge_requests/{merge['iid']}")
        text = f"Restored pull request: see !{merge['iid']}.\n\n{body.get('body') or ''}"
        pointer = self.create_issue(name, {"title": body["title"], "body": text}, closed=True)
        return {**pointer, "state": "closed" if closed else "open"}

    def _merge_request(
        self, name: str, body: dict[str, Any], title: str, labels: Sequence[Any], milestone: Any
    ) -> dict[str, Any] | None:
        branches = {"source_branch": body["head"], "target_branch": body["base"]}
        if name not in self.merges:  # every merge request of the project, read once
            params = {"per_page": 100, "state": "all"}
            self.merges[name] = list(self.api.pages(self._path(name, "merge_requests"), params))
        for item in self.merges[name]:
            same = (item.get("source_branch"), item.get("target_branch")) == (
                body["head"],
                body["base"],
            )
            if same and item.get("title") == title:
                return dict(item)
        wanted: dict[str, Any] = {**branches, "title": title, "description": body.get("body")}
        if labels:
            wanted["labels"] = ",".join(str(label) for label in labels)
        if milestone is not None:
            wanted["milestone_id"] = milestone
        try:
            made = self.api.send("POST", self._path(name, "merge_requests"), body=wanted).json()
            self.merges[name].append(made)
            return dict(made)
        except (ProviderNotFound, ProviderAuthError):
            raise
        except ProviderError as refused:
            if not refused.permanent:
                raise
            return None  # 409: one is open for these branches; 422: nothing to merge

    def upload_asset(self, name: str, release: dict[str, Any], file: str, data: BinaryIO) -> Any:
        """The file uploaded to the project, then linked to the release by its URL."""
        files = {"file": (file, data, "application/octet-stream")}
        uploaded = self.api.send("POST", self._path(name, "uploads"), files=files).json()
        if name not in self.pages:
            self.pages[name] = str(self.api.get(self._path(name)).json()["web_url"])
        web = self.pages[name]
        # `full_path`: the file's path on the server (GitLab 17.1 and later); before, `url`
        # is relative to the project's page.
        full = uploaded.get("full_path")
        url = str(httpx.URL(web).join(full)) if full else web.rstrip("/") + uploaded["url"]
        link = {"name": file, "url": url, "link_type": "other"}
        tag = quote(str(release["tag_name"]), safe="")
        path = self._path(name, f"releases/{tag}/assets/links")
        return self.api.send("POST", path, body=link).json()

    def wiki_url(self, name: str) -> str | None:
        item = self.api.get(self._path(name)).json()
        if not item.get("wiki_enabled", True):
            return None
        return self.api.require_trusted(wiki_of(item["http_url_to_repo"]), "clone URL")

    def label_ref(self, label: dict[str, Any]) -> Any:
        return label["name"]

    def milestone_ref(self, milestone: dict[str, Any]) -> Any:
        return milestone["id"]

    def git_credentials(self) -> Credentials | None:
        return self.driver.git_credentials()
