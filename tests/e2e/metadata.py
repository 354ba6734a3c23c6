"""A GitHub repository with issues, pull requests, reviews, comments, labels, a milestone and
a release with an asset file, backed up end to end: the fake GitHub API answers the metadata
export (shapes from GitHub's REST documentation), the repository itself is a bare one on
disk (its `clone_url` a file URL), and the server's embedded worker runs the plan. The tests
of a snapshot's contents (API, CLI, console) read it back."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repovault.client import Client as ApiClient
from tests.e2e.flow import Client, make_sources, wait_tasks
from tests.providers.fake_github import (
    FakeGitHub,
    comment,
    issue,
    label,
    milestone,
    pull_request,
    release,
    repository,
    review,
    user,
)

API = "https://api.github.com/repos/acme/app"


def _issue(number: int, title: str, author: str, labels: list[str], **extra: Any) -> Any:
    item = issue(number, title)
    item.update(
        user=user(author),
        labels=[label(i, name) for i, name in enumerate(labels, 1)],
        created_at=f"2024-01-0{number}T10:00:00Z",
        updated_at=f"2024-01-0{number}T12:00:00Z",
        body=f"Body of issue {number}: {title}.",
        **extra,
    )
    return item


def _pull(number: int, title: str, author: str, labels: list[str], **extra: Any) -> Any:
    item = pull_request(number, title)
    item.update(
        user=user(author),
        labels=[label(i, name) for i, name in enumerate(labels, 1)],
        created_at=f"2024-01-0{number}T10:00:00Z",
        updated_at=f"2024-01-0{number}T12:00:00Z",
        **extra,
    )
    return item


def _comment(comment_id: int, number: int, body: str, author: str, at: str) -> Any:
    item = comment(comment_id, body)
    item.update(
        user=user(author),
        created_at=at,
        updated_at=at,
        issue_url=f"{API}/issues/{number}",
        html_url=f"https://github.com/acme/app/issues/{number}#issuecomment-{comment_id}",
    )
    return item


def repo_data() -> dict[str, list[Any]]:
    """Three issues, two pull requests (#4 merged, with a review and a review comment; #5
    open), three comments, three labels, a milestone and a release with one asset."""
    issues = [
        _issue(1, "Crash on start", "alice", ["bug"]),
        _issue(2, "Add dark mode", "bob", ["enhancement", "ui"], state="closed"),
        _issue(3, "Crash when saving", "alice", ["bug"]),
    ]
    as_issues = [issue(4, "Fix crash", pull=True), issue(5, "Refactor", pull=True)]
    pulls = [
        _pull(
            4,
            "Fix crash",
            "carol",
            ["bug"],
            state="closed",
            merged_at="2024-01-06T09:00:00Z",
            body="Fixes #1.",
        ),
        _pull(5, "Refactor the settings", "bob", ["ui"], body="Work in progress."),
    ]
    review_comment = {
        "id": 77,
        "pull_request_review_id": 80,
        "path": "src/app.py",
        "line": 10,
        "body": "Check for None here.",
        "user": user("dave"),
        "created_at": "2024-01-05T15:00:00Z",
        "updated_at": "2024-01-05T15:00:00Z",
        "pull_request_url": f"{API}/pulls/4",
    }
    approved = review(80)
    approved.update(user=user("dave"), body="Looks right.", submitted_at="2024-01-05T16:00:00Z")
    return {
        "issues": [*issues, *as_issues],
        "pulls": pulls,
        "issues/comments": [
            _comment(11, 1, "It crashes for me too.", "bob", "2024-01-01T13:00:00Z"),
            _comment(12, 1, "Fixed by #4.", "carol", "2024-01-06T10:00:00Z"),
            _comment(13, 4, "Ready for review.", "carol", "2024-01-05T11:00:00Z"),
        ],
        "pulls/comments": [review_comment],
        "pulls/4/reviews": [approved],
        "pulls/5/reviews": [],
        "releases": [release(21, "v1.0")],
        "labels": [label(1, "bug"), label(2, "enhancement"), label(3, "ui")],
        "milestones": [milestone(1, "1.0")],
    }


class ThroughClient:
    """`repovault.client` as these helpers call the API (tests against a real server)."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def ok(self, path: str, body: Any = None, **_kwargs: Any) -> Any:
        return self.client._call(path, body or {})


@dataclass
class Backed:
    org: str
    repo: str
    plan: str
    source: Path  # the bare repository the platform "hosts"


def _synchronized(api: Client, org: str) -> dict[str, str]:
    api.ok("/git/repositories/sync", {"id": org})
    deadline = time.monotonic() + 60
    while True:
        reply = api.ok("/git/repositories/getmany", {"id": org, "limit": 100})
        if not reply["result"]["synchronizationInProgress"] and reply["totalEntries"]:
            return {r["name"]: r["id"] for r in reply["result"]["repositories"]}
        assert time.monotonic() < deadline, "synchronization did not finish"
        time.sleep(0.05)


def github_with_metadata(api: Client, github: FakeGitHub, folder: Path, **plan: Any) -> Backed:
    """The `acme/app` repository on the fake GitHub, synchronized, protected and in a plan
    (with `plan`'s settings); not backed up yet (`run`)."""
    source = make_sources(folder, ("app",))["team/app"]
    item = repository(101, "acme/app", private=True)
    item.update(clone_url=source.as_uri(), has_wiki=False)
    github.orgs["acme"] = [item]
    github.repo_data["acme/app"] = repo_data()
    github.asset_files["1"] = b"PK release archive"
    org = api.ok("/git/organizations/add", {"driver": 1, "name": "acme", "token": "ghp_test"})
    repo = _synchronized(api, org["id"])["acme/app"]
    api.ok("/git/repositories/activate", {"ids": [repo]})
    body = {
        "name": "with metadata",
        "organizationId": org["id"],
        "gitChoiceMode": 1,
        "schedule": {"scheme": 1, "options": []},
        **plan,
    }
    plan_id = api.ok("/plans/creategitplan", body)["id"]
    return Backed(org["id"], repo, plan_id, source)


def run(api: Client, backed: Backed) -> str:
    """One backup of the plan; the new snapshot's id."""
    (task,) = wait_tasks(api, api.ok("/plans/run", {"id": backed.plan, "kind": 1})["taskIds"])
    assert task["status"] == 1, task["logs"]
    snapshot: str = task["result"]["snapshotId"]
    return snapshot
