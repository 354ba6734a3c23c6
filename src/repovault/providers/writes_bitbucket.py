"""Writing a restore into Bitbucket Cloud (REST API 2.0), behind the `PlatformWriter` Protocol
of writes.py, whose shapes are GitHub's: this writer answers them (`number` for an issue's
`id`, `body` for its `content.raw`, `open`/`closed` for the tracker's states) and translates
the calls.

    repository / create_repository   GET, POST /repositories/{workspace}/{slug} (`scm: git`,
                                     `is_private`, `has_issues: true`); the default branch
                                     by PUT `mainbranch`
    issues                           POST .../issues (`content.raw`; the kind `bug`,
                                     `enhancement`, `proposal` or `task` when the issue had
                                     a label of that name, else `bug`; the tracker turned on
                                     first, `has_issues`), made open, then closed by PUT
                                     `state: resolved` (`wontfix` for GitHub's not_planned);
                                     in number order, so an empty tracker keeps the numbers
    comments                         POST .../issues/{id}/comments (`content.raw`)
    pull requests                    POST .../pullrequests (`source.branch.name`,
                                     `destination.branch.name`), declined when it was
                                     closed; Bitbucket numbers them apart from issues, so the
                                     number it had is kept by a resolved issue pointing to it
                                     ("Restored pull request: see pull request #k."), and its
                                     thread goes to the pull request
    labels, milestones, releases     not held (`holds`): the API cannot create components or
                                     milestones, and Bitbucket has no releases; a dry run
                                     counts them in `cannotMap`

Pushes use the organization's credentials over https (`bitbucket_credentials`: the user name
with an app password, or `x-token-auth` with an access token).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from repovault.engine.git import Credentials
from repovault.providers.base import ProviderAuthError, ProviderError, ProviderNotFound
from repovault.providers.bitbucket import BitbucketDriver
from repovault.providers.http import without_user
from repovault.providers.write_target import TargetRepository

POINTER = re.compile(r"^Restored pull request: see pull request #(\d+)\.")
COMMENTS = re.compile(r"issues/(\d+)/comments")
KINDS = ("bug", "enhancement", "proposal", "task")
OPEN = ("new", "open", "on hold", "submitted")


def _state(item: dict[str, Any]) -> str:
    return "open" if item.get("state") in OPEN else "closed"


def _https(item: dict[str, Any]) -> str:
    for link in (item.get("links") or {}).get("clone") or []:
        if link.get("name") == "https":
            return str(link["href"])
    raise ProviderError("Bitbucket: the repository has no https clone link", permanent=True)


class BitbucketWriter:
    """A Bitbucket Cloud workspace a restore writes into."""

    drafts = False  # Bitbucket has no releases at all
    holds = frozenset({"issues", "pulls", "comments"})  # not labels, milestones, releases

    def __init__(self, driver: BitbucketDriver) -> None:
        self.driver = driver
        self.api = driver.api
        self.owner = driver.access.name
        self.pulls: dict[int, int] = {}  # pointer issue id -> its pull request's id
        self.made: dict[str, list[Any]] = {}  # repository -> its pull requests (read once)
        self.trackers: set[str] = set()  # repositories whose issue tracker is on

    def _path(self, name: str, what: str = "") -> str:
        return f"/repositories/{self.owner}/{name}" + (f"/{what}" if what else "")

    def _target(self, name: str, item: dict[str, Any], empty: bool) -> TargetRepository:
        # Bitbucket puts the viewer's name in the link: the push brings its own credentials.
        clone_url = self.api.require_trusted(without_user(_https(item)), "clone URL")
        return TargetRepository(
            str(item.get("full_name") or f"{self.owner}/{name}"), clone_url, empty
        )

    def repository(self, name: str) -> TargetRepository | None:
        try:
            item = self.api.get(self._path(name)).json()
        except ProviderNotFound:
            return None
        branches = self.api.get(self._path(name, "refs/branches"), {"pagelen": 1}).json()
        if item.get("has_issues"):
            self.trackers.add(name)
        return self._target(name, item, not branches.get("values"))

    def create_repository(self, name: str, *, description: str, private: bool) -> TargetRepository:
        body = {"scm": "git", "is_private": private, "description": description, "has_issues": True}
        item = self.api.send("POST", self._path(name), body=body).json()
        if item.get("has_issues"):
            self.trackers.add(name)
        return self._target(name, item, True)

    def set_default_branch(self, name: str, branch: str) -> None:
        self.api.send("PUT", self._path(name), body={"mainbranch": {"name": branch}})

    # Reading -------------------------------------------------------------------------------

    def _issue(self, item: dict[str, Any]) -> dict[str, Any]:
        text = str((item.get("content") or {}).get("raw") or "")
        issue = {**item, "number": item["id"], "state": _state(item), "body": text}
        found = POINTER.match(text)
        if found:
            self.pulls[item["id"]] = int(found.group(1))
            issue["pull_request"] = {"id": int(found.group(1))}
        return issue

    def _comments(self, number: int) -> str:
        if number in self.pulls:
            return f"pullrequests/{self.pulls[number]}/comments"
        return f"issues/{number}/comments"

    def list(self, name: str, what: str) -> Iterator[Any]:
        found = COMMENTS.fullmatch(what)
        if found:
            path = self._path(name, self._comments(int(found.group(1))))
            items = self.api.body_pages(path, {"pagelen": 100})
            return ({**c, "body": (c.get("content") or {}).get("raw")} for c in items)
        if what == "issues":
            return (i for i in self.numbered(name) if not i.get("pull_request"))
        return iter(())  # labels, milestones, releases: not held

    def numbered(self, name: str) -> Iterator[Any]:
        params = {"pagelen": 100, "sort": "id"}
        items = sorted(
            self.api.body_pages(self._path(name, "issues"), params), key=lambda i: i["id"]
        )
        for item in items:
            text = str((item.get("content") or {}).get("raw") or "")
            if _state(item) == "open" and POINTER.match(text):  # an earlier attempt stopped
                item.update(self._resolve(name, item["id"], "resolved"))
        return (self._issue(item) for item in items)

    # Writing -------------------------------------------------------------------------------

    def create(self, name: str, what: str, body: dict[str, Any]) -> Any:
        found = COMMENTS.fullmatch(what)
        if not found:
            raise ProviderError(f"Bitbucket: a restore does not create {what}", permanent=True)
        path = self._path(name, self._comments(int(found.group(1))))
        made = self.api.send("POST", path, body={"content": {"raw": body["body"]}}).json()
        return {**made, "body": (made.get("content") or {}).get("raw")}

    def create_issue(self, name: str, body: dict[str, Any], *, closed: bool) -> Any:
        """Made open: one that ends closed is resolved by `close_issues`, which knows why it
        was closed (GitHub's `state_reason`)."""
        return self._issue(self._new_issue(name, body))

    def _new_issue(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        labels = [str(label).lower() for label in body.get("labels") or []]
        kind = next((k for k in KINDS if k in labels), "bug")
        wanted = {"title": body["title"], "content": {"raw": body.get("body") or ""}, "kind": kind}
        if name not in self.trackers:  # the first issue of a restore: the tracker on
            self.api.send("PUT", self._path(name), body={"has_issues": True})
            self.trackers.add(name)
        made: dict[str, Any] = self.api.send("POST", self._path(name, "issues"), body=wanted).json()
        return made

    def _resolve(self, name: str, number: int, state: str) -> Any:
        path = self._path(name, f"issues/{number}")
        return self.api.send("PUT", path, body={"state": state}).json()

    def close_issue(self, name: str, number: int, *, pull: bool = False) -> None:
        if pull and number in self.pulls:
            self._decline(name, self.pulls[number])
        self._resolve(name, number, "resolved")

    def close_issues(self, name: str, issues: Sequence[dict[str, Any]]) -> None:
        for issue in issues:
            if issue.get("pull_request"):
                self.close_issue(name, issue["number"], pull=True)
            else:
                reason = issue.get("state_reason") == "not_planned"
                self._resolve(name, issue["number"], "wontfix" if reason else "resolved")

    def _decline(self, name: str, pull: int) -> None:
        try:
            self.api.send("POST", self._path(name, f"pullrequests/{pull}/decline"), body={})
        except ProviderError as refused:  # already declined or merged: nothing to do
            if not refused.permanent or isinstance(refused, ProviderAuthError):
                raise

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
        taken), declined when it was closed, then the resolved issue keeping its number;
        None when Bitbucket refuses it."""
        pull = self._pull_request(name, body)
        if pull is None:
            return None
        if closed and pull.get("state") == "OPEN":
            self._decline(name, pull["id"])
        text = f"Restored pull request: see pull request #{pull['id']}.\n\n{body.get('body') or ''}"
        request = {"title": body["title"], "body": text, "labels": list(labels)}
        made = self._new_issue(name, request)
        pointer = self._issue(self._resolve(name, made["id"], "resolved"))
        return {**pointer, "state": "closed" if closed else "open"}

    def _pull_request(self, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if name not in self.made:
            params = {"pagelen": 50, "state": ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]}
            self.made[name] = list(self.api.body_pages(self._path(name, "pullrequests"), params))
        for item in self.made[name]:
            source = ((item.get("source") or {}).get("branch") or {}).get("name")
            target = ((item.get("destination") or {}).get("branch") or {}).get("name")
            if (source, target, item.get("title")) == (body["head"], body["base"], body["title"]):
                return dict(item)
        wanted = {
            "title": body["title"],
            "description": body.get("body") or "",
            "source": {"branch": {"name": body["head"]}},
            "destination": {"branch": {"name": body["base"]}},
        }
        try:
            made = self.api.send("POST", self._path(name, "pullrequests"), body=wanted).json()
        except (ProviderNotFound, ProviderAuthError):
            raise
        except ProviderError as refused:
            if not refused.permanent:
                raise
            return None  # 400: no changes between the branches, one open for them, ...
        self.made[name].append(made)
        return dict(made)

    def upload_asset(self, name: str, release: dict[str, Any], file: str, data: BinaryIO) -> Any:
        raise ProviderError("Bitbucket has no releases", permanent=True)

    def wiki_url(self, name: str) -> str | None:
        item = self.api.get(self._path(name)).json()
        if not item.get("has_wiki"):
            return None
        return self.api.require_trusted(without_user(_https(item)) + "/wiki", "clone URL")

    def label_ref(self, label: dict[str, Any]) -> Any:
        return label["name"]

    def milestone_ref(self, milestone: dict[str, Any]) -> Any:
        return milestone.get("name") or milestone.get("title")

    def git_credentials(self) -> Credentials | None:
        return self.driver.git_credentials()
