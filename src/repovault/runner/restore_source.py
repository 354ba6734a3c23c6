"""What a platform restore reads of a snapshot (GitHub- and Gitea-shaped documents), and
the dry run: what would be created on the target.

Each number's thread is its conversation comments, reviews and review comments in time
order (restore_pulls.py turns them into comments); releases come with the names of their
asset documents (`release-assets/<release key>/<file>`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from repovault.providers.documents import asset_release
from repovault.providers.metadata import release_key
from repovault.providers.writes import PlatformWriter, holds

Items = Callable[[str], Iterator[Any]]

PULL_LABEL = "restored pull request"


@dataclass
class Record:
    """Where a platform restore reports, and keeps what it created: `result` is the task's
    result (its `created` written through `save` as it goes), `previous` the result an
    earlier attempt of the same task left."""

    result: dict[str, Any]
    previous: dict[str, Any]
    log: Callable[[str, str], None]
    report: Callable[[int, str], None]
    check: Callable[[], None]
    save: Callable[[], None]


class Restoring(Protocol):
    """A restore in progress (runner/restore_platform.py `PlatformRestore`), as the steps in
    restore_pulls.py and restore_releases.py use it."""

    writer: PlatformWriter
    name: str
    source: Source
    record: Record
    created: dict[str, Any]

    def made_one(self, kind: str) -> None: ...

    def label_ref(self, name: str) -> Any: ...

    def save(self) -> None: ...


def authored(item: dict[str, Any], verb: str, at: str = "created_at") -> str:
    """The line each restored body starts with: the restoring token is the new author."""
    login = (item.get("user") or {}).get("login") or "unknown"
    return f"_Originally {verb} by @{login} at {item.get(at) or 'an unknown time'}_"


def with_author(item: dict[str, Any], verb: str) -> str:
    body = item.get("body") or ""
    return f"{authored(item, verb)}\n\n{body}" if body else authored(item, verb)


def _tail_number(url: Any) -> int | None:
    tail = str(url or "").rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _thread_number(comment: dict[str, Any]) -> int | None:
    """The issue (or pull request) a GitHub/Gitea conversation comment belongs to."""
    return _tail_number(comment.get("issue_url") or comment.get("pull_request_url"))


def _pull_number(item: dict[str, Any]) -> int | None:
    """The pull request a review (its `pull_request`, added by the export) or a review
    comment (its `pull_request_url`) belongs to."""
    number = item.get("pull_request")
    if isinstance(number, int):
        return number
    return _tail_number(item.get("pull_request_url"))


def _grouped(items: Iterable[Any], number: Callable[[Any], int | None]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for item in items:
        found = number(item)
        if found is not None:
            grouped.setdefault(found, []).append(item)
    return grouped


@dataclass
class Source:
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    review_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    labels: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, Any]] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)
    # release key -> {file name as stored: document name}
    assets: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def last_number(self) -> int:
        return max([*self.issues, *self.pulls, 0])

    def asset_count(self) -> int:
        return sum(len(files) for files in self.assets.values())

    def summary(self) -> str:
        comments = sum(len(thread) for thread in self.comments.values())
        placeholders = self.last_number - len(self.issues) - len(self.pulls)
        return (
            f"{len(self.labels)} label(s), {len(self.milestones)} milestone(s), "
            f"{len(self.issues)} issue(s), {len(self.pulls)} pull request(s), "
            f"{comments} comment(s), {sum(map(len, self.reviews.values()))} review(s), "
            f"{sum(map(len, self.review_comments.values()))} review comment(s), "
            f"{placeholders} placeholder(s), {len(self.releases)} release(s) with "
            f"{self.asset_count()} file(s)"
        )


def read_source(items: Items, documents: Iterable[str] = ()) -> Source:
    """The snapshot's labels, milestones, issues and pull requests (by number), each
    number's comments, reviews and review comments, and the releases with their files
    (`documents`: the snapshot's document names, for the asset files)."""
    source = Source(
        labels=list(items("labels.json")),
        milestones=list(items("milestones.json")),
        releases=list(items("releases.json")),
    )
    for issue in items("issues.json"):
        if not issue.get("pull_request"):
            source.issues[int(issue["number"])] = issue
    for pull in items("pull-requests.json"):
        source.pulls[int(pull["number"])] = pull
    source.comments = _grouped(items("issue-comments.json"), _thread_number)
    source.reviews = _grouped(items("reviews.json"), _pull_number)
    source.review_comments = _grouped(items("review-comments.json"), _pull_number)
    for name in documents:
        found = asset_release(name)
        if found is not None:
            source.assets.setdefault(found[0], {})[found[1]] = name
    return source


def release_files(source: Source, release: dict[str, Any]) -> list[tuple[str, str]]:
    """(the file's own name, its document) of each stored asset file of `release`."""
    stored = source.assets.get(release_key(release), {})
    files = []
    for asset in release.get("assets") or []:
        # The file name as the export stored it (providers/metadata.py _download_assets).
        safe = re.sub(r"[^\w.+-]", "_", asset["name"]).lstrip(".") or "asset"
        document = stored.get(safe)
        if document is not None:
            files.append((asset["name"], document))
    return files


# Threads: what becomes the comments of an issue or pull request ---------------------------


@dataclass(frozen=True)
class Post:
    """One comment to create: `key` records it (a conversation comment by its id, as the
    first slice did; `review:<id>`, `reviewComment:<id>`), `kind` counts it."""

    key: str
    kind: str
    body: str
    at: str


REVIEW_STATES = {
    "APPROVED": "approved",
    "CHANGES_REQUESTED": "requested changes",
    "REQUEST_CHANGES": "requested changes",
    "COMMENTED": "commented",
    "COMMENT": "commented",
    "DISMISSED": "reviewed (dismissed)",
}


def review_post(review: dict[str, Any]) -> Post | None:
    """A submitted review with a body or a verdict; None for a pending one, or a bare
    "commented" review (the container of review comments, restored one by one)."""
    state = REVIEW_STATES.get(str(review.get("state") or "").upper())
    if state is None or (state == "commented" and not review.get("body")):
        return None
    line = authored(review, "reviewed", "submitted_at").removesuffix("_") + f": {state}_"
    body = f"{line}\n\n{review['body']}" if review.get("body") else line
    return Post(f"review:{review['id']}", "reviews", body, str(review.get("submitted_at") or ""))


def review_comment_post(comment: dict[str, Any]) -> Post:
    """A comment on a line of code: the file and line quoted, then the diff hunk."""
    path = comment.get("path") or "?"
    line = comment.get("line") or comment.get("original_line") or comment.get("position")
    where = f"{path}:{line}" if line else path
    head = authored(comment, "commented").removesuffix("_") + f" on `{where}`_"
    parts = [head]
    if comment.get("diff_hunk"):
        parts.append(f"```diff\n{comment['diff_hunk']}\n```")
    if comment.get("body"):
        parts.append(str(comment["body"]))
    at = str(comment.get("created_at") or "")
    return Post(f"reviewComment:{comment['id']}", "reviewComments", "\n\n".join(parts), at)


def thread(source: Source, number: int) -> list[Post]:
    """The comments, reviews and review comments of `number`, in time order."""
    posts = [
        Post(str(c["id"]), "comments", with_author(c, "posted"), str(c.get("created_at") or ""))
        for c in source.comments.get(number, [])
    ]
    posts += [review_comment_post(c) for c in source.review_comments.get(number, [])]
    posts += [p for r in source.reviews.get(number, []) if (p := review_post(r)) is not None]
    order = {"comments": 0, "reviewComments": 1, "reviews": 2}
    posts.sort(key=lambda post: (post.at, order[post.kind], post.key))
    return posts


def pull_branches(pull: dict[str, Any], branches: set[str]) -> str | None:
    """Why `pull` cannot be a pull request on the target (None: it can): its head and base
    must be branches of the restored repository, its head not in a fork."""
    head, base = pull.get("head") or {}, pull.get("base") or {}
    if "repo" in head and head["repo"] is None and base.get("repo"):
        return "its head was in a fork that is gone"  # GitHub's `head.repo` is then null
    forked = ((head.get("repo") or {}).get("full_name"), (base.get("repo") or {}).get("full_name"))
    if None not in forked and forked[0] != forked[1]:
        return f"its head is in the fork {forked[0]}"
    missing = [ref for ref in (head.get("ref"), base.get("ref")) if ref not in branches]
    if missing:
        return f"the branch {missing[0]} is not in the snapshot"
    return None


def dry_run(writer: PlatformWriter, name: str, source: Source, refs: list[str]) -> dict[str, Any]:
    """The counts of what a restore would create on the target, reading it only."""
    existing = writer.repository(name)
    labels: set[str] = set()
    milestones: set[str] = set()
    numbers: set[int] = set()
    tags: set[str] = set()
    if existing is not None:  # (a writer without labels, ... lists none: they count 0 below)
        labels = {item["name"] for item in writer.list(name, "labels")}
        milestones = {item["title"] for item in writer.list(name, "milestones")}
        numbers = {item["number"] for item in writer.numbered(name)}
        tags = {item["tag_name"] for item in writer.list(name, "releases")}
    missing = [n for n in range(1, source.last_number + 1) if n not in numbers]
    branches = {ref.removeprefix("refs/heads/") for ref in refs if ref.startswith("refs/heads/")}
    pulls = [n for n in missing if n in source.pulls]
    real = [n for n in pulls if pull_branches(source.pulls[n], branches) is None]
    posts = [post for n in missing for post in thread(source, n)]
    releases = [
        r for r in source.releases if r["tag_name"] not in tags and holds(writer, "releases")
    ]
    return {
        "repository": "exists" if existing is not None else "create",
        "targetEmpty": existing is None or existing.empty,
        "refs": len(refs),
        "labels": sum(1 for label in source.labels if label["name"] not in labels)
        if holds(writer, "labels")
        else 0,
        "milestones": sum(1 for m in source.milestones if m["title"] not in milestones)
        if holds(writer, "milestones")
        else 0,
        "issues": sum(1 for n in missing if n in source.issues),
        "pullRequests": len(real),
        "pullRequestsAsIssues": len(pulls) - len(real),
        "placeholders": sum(1 for n in missing if n not in source.issues and n not in pulls),
        "comments": sum(1 for post in posts if post.kind == "comments"),
        "reviews": sum(1 for post in posts if post.kind == "reviews"),
        "reviewComments": sum(1 for post in posts if post.kind == "reviewComments"),
        "releases": len(releases),
        "releaseAssets": sum(len(release_files(source, r)) for r in releases),
    }
