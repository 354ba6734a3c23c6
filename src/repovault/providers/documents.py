"""Reading the metadata documents back: what kind each document is, and how each platform's
items read (the platform tables are in `dialects.py`).

The documents hold the platforms' own JSON as exported (`metadata.py`), one item per line.
Nothing stored is changed: this module only reads an item's number, title, state, author,
labels and times into a `Summary` (for listing and searching), and the entries of its
conversation (comments, reviews, review comments) into plain-text `Entry`s.

    Dialect                        one per platform (dialects.py)
      issues, pulls: Shape         the document of the items, their summary and body, and
        threads: Thread ...        the documents of their conversation: how an entry names
                                   its item, and how it reads as plain text
    release_summary                the releases of every platform (one shape serves all)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

RELEASES = "releases.json"
ASSETS = "release-assets/"

# The kind of each document, as the snapshot list counts them; any other document counts as
# its own name in camelCase.
KINDS = {
    "issues.json": "issues",
    "pull-requests.json": "pullRequests",
    "merge-requests.json": "pullRequests",
    "issue-comments.json": "comments",
    "issue-notes.json": "comments",
    "merge-request-notes.json": "comments",
    "pull-request-comments.json": "comments",
    "pull-request-threads.json": "comments",
    "pull-request-activities.json": "comments",
    "review-comments.json": "reviewComments",
    "reviews.json": "reviews",
    "merge-request-approvals.json": "reviews",
    RELEASES: "releases",
    "labels.json": "labels",
    "milestones.json": "milestones",
}


# The field of a gap record: an item of a gathered document (reviews.json, ...) that says
# one parent item's list could not be read at export time (its text: what the platform
# answered). It is no entry of the conversation, and it is not counted.
GAP = "repovault:gap"


def is_gap(item: Any) -> bool:
    return isinstance(item, dict) and GAP in item


def kind_of(name: str) -> str:
    """The kind of a document: `issues`, `pullRequests`, ..., `releaseAssets`."""
    if name.startswith(ASSETS):
        return "releaseAssets"
    if name in KINDS:
        return KINDS[name]
    head, *rest = re.split(r"[^A-Za-z0-9]+", name.removesuffix(".json"))
    return head.lower() + "".join(part.capitalize() for part in rest)


def holds_items(name: str) -> bool:
    """Whether a document is a list of JSON items (a release's asset file is not)."""
    return name.endswith(".json") and not name.startswith(ASSETS)


def asset_release(name: str) -> tuple[str, str] | None:
    """(release key, file name) of a release asset document."""
    if not name.startswith(ASSETS):
        return None
    key, _, file = name[len(ASSETS) :].partition("/")
    return key, file


@dataclass(frozen=True)
class Summary:
    """An issue or pull request as lists and searches see it. `state` is `open`, `closed` or
    (pull requests) `merged`, whatever the platform calls them."""

    number: int
    title: str
    state: str
    author: str | None
    labels: list[str]
    created_at: int | None
    updated_at: int | None


@dataclass(frozen=True)
class Entry:
    """One entry of a conversation, as plain text. `kind`: comment, review, reviewComment or
    event (a platform's own note: "merged", "changed the title", ...)."""

    kind: str
    author: str | None
    created_at: int | None
    body: str
    state: str | None = None
    path: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Thread:
    """A document of conversation entries for the items of a Shape."""

    document: str
    section: str  # where the item's answer lists them: comments, reviews or reviewComments
    parent: Callable[[Any], int | None]  # the number of the item an entry belongs to
    entries: Callable[[Any], list[Entry]]


@dataclass(frozen=True)
class Shape:
    """The issues (or the pull requests) of one platform."""

    document: str
    summary: Callable[[Any], Summary | None]  # None: not an item (a malformed line)
    body: Callable[[Any], str]
    threads: tuple[Thread, ...] = ()


@dataclass(frozen=True)
class Dialect:
    name: str
    issues: Shape | None
    pulls: Shape | None


@dataclass(frozen=True)
class ReleaseSummary:
    key: str  # the folder of its asset documents
    tag: str
    name: str | None
    author: str | None
    created_at: int | None
    draft: bool
    prerelease: bool


# Reading values out of the platforms' JSON --------------------------------------------------


def dig(item: Any, *path: str) -> Any:
    """`item[path[0]][path[1]]...`, or None where anything is missing."""
    for key in path:
        if not isinstance(item, dict):
            return None
        item = item.get(key)
    return item


def first_text(item: Any, *paths: tuple[str, ...]) -> str | None:
    """The first of the fields (each a path) that holds non-empty text."""
    for path in paths:
        value = dig(item, *path)
        if isinstance(value, str) and value:
            return value
    return None


def as_number(value: Any) -> int | None:
    """An item's number: an integer, digits, or an object with an `id` (Bitbucket gives the
    parent of a comment as an object)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, dict):
        return as_number(value.get("id"))
    return None


def ms(value: Any) -> int | None:
    """A platform's time as milliseconds since the epoch: ISO 8601 text (UTC unless it says
    otherwise), or milliseconds already (Bitbucket Data Center)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def names(value: Any) -> list[str]:
    """Label names from a list of names or of objects with a `name`."""
    found = []
    for label in value if isinstance(value, list) else []:
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str) and name:
            found.append(name)
    return found


def field_number(name: str) -> Callable[[Any], int | None]:
    """The parent of an entry from one of its fields (the label the export added)."""
    return lambda entry: as_number(dig(entry, name))


_ITEM_URL = re.compile(r"/(?:issues|pulls|pull|merge_requests)/(\d+)(?:[/#?]|$)")


def url_number(*fields: str) -> Callable[[Any], int | None]:
    """The parent of an entry from the first of its URL fields that names an item."""

    def parent(entry: Any) -> int | None:
        for field in fields:
            value = dig(entry, field)
            found = _ITEM_URL.search(value) if isinstance(value, str) else None
            if found:
                return int(found.group(1))
        return None

    return parent


def release_summary(item: Any, key: str) -> ReleaseSummary | None:
    """A release of GitHub, Gitea or GitLab (their shapes agree on what is read here)."""
    tag = dig(item, "tag_name")
    if not isinstance(tag, str):
        return None
    return ReleaseSummary(
        key=key,
        tag=tag,
        name=first_text(item, ("name",)),
        author=first_text(item, ("author", "login"), ("author", "username")),
        created_at=ms(
            dig(item, "published_at") or dig(item, "released_at") or dig(item, "created_at")
        ),
        draft=dig(item, "draft") is True,
        prerelease=dig(item, "prerelease") is True or dig(item, "upcoming_release") is True,
    )


def release_body(item: Any) -> str:
    return first_text(item, ("body",), ("description",)) or ""
