"""What a platform restore reads of a snapshot (GitHub- and Gitea-shaped documents), and
the dry run: what would be created on the target, and what cannot map yet."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from repovault.providers.writes import PlatformWriter

Items = Callable[[str], Iterator[Any]]

# Documents a platform restore does not carry over yet, by the name the dry run gives them.
NOT_YET = {
    "reviews": "reviews.json",
    "reviewComments": "review-comments.json",
    "releases": "releases.json",
}


def _thread_number(comment: dict[str, Any]) -> int | None:
    """The issue (or pull request) a GitHub/Gitea conversation comment belongs to."""
    url = str(comment.get("issue_url") or comment.get("pull_request_url") or "")
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


@dataclass
class Source:
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    labels: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, Any]] = field(default_factory=list)
    not_yet: dict[str, int] = field(default_factory=dict)

    @property
    def last_number(self) -> int:
        return max([*self.issues, *self.pulls, 0])

    def comment_count(self) -> int:
        return sum(len(self.comments.get(number, [])) for number in self.issues)

    def summary(self) -> str:
        return (
            f"{len(self.labels)} label(s), {len(self.milestones)} milestone(s), "
            f"{len(self.issues)} issue(s) with {self.comment_count()} comment(s), "
            f"{self.last_number - len(self.issues)} placeholder(s)"
        )


def read_source(items: Items) -> Source:
    """The snapshot's labels, milestones, issues (by number), pull requests (by number, for
    their placeholders) and each issue's comments in their order."""
    source = Source(labels=list(items("labels.json")), milestones=list(items("milestones.json")))
    for issue in items("issues.json"):
        if not issue.get("pull_request"):
            source.issues[int(issue["number"])] = issue
    for pull in items("pull-requests.json"):
        source.pulls[int(pull["number"])] = pull
    for comment in items("issue-comments.json"):
        number = _thread_number(comment)
        if number is not None:
            source.comments.setdefault(number, []).append(comment)
    for thread in source.comments.values():
        thread.sort(key=lambda comment: (str(comment.get("created_at") or ""), comment["id"]))
    for kind, document in NOT_YET.items():
        count = sum(1 for _ in items(document))
        if count:
            source.not_yet[kind] = count
    if source.pulls:
        source.not_yet["pullRequests"] = len(source.pulls)
        pull_comments = sum(len(source.comments.get(number, [])) for number in source.pulls)
        if pull_comments:
            source.not_yet["pullRequestComments"] = pull_comments
    return source


def dry_run(writer: PlatformWriter, name: str, source: Source, refs: list[str]) -> dict[str, Any]:
    """The counts of what a restore would create on the target, reading it only."""
    existing = writer.repository(name)
    labels: set[str] = set()
    milestones: set[str] = set()
    numbers: set[int] = set()
    if existing is not None:
        labels = {item["name"] for item in writer.list(name, "labels")}
        milestones = {item["title"] for item in writer.list(name, "milestones")}
        numbers = {item["number"] for item in writer.list(name, "issues")}
    missing = [n for n in range(1, source.last_number + 1) if n not in numbers]
    return {
        "repository": "exists" if existing is not None else "create",
        "targetEmpty": existing is None or existing.empty,
        "refs": len(refs),
        "labels": sum(1 for label in source.labels if label["name"] not in labels),
        "milestones": sum(1 for m in source.milestones if m["title"] not in milestones),
        "issues": sum(1 for n in missing if n in source.issues),
        "placeholders": sum(1 for n in missing if n not in source.issues),
        "comments": sum(len(source.comments.get(n, [])) for n in missing if n in source.issues),
        "cannotMap": dict(source.not_yet),
    }
