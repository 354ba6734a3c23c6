"""A Bitbucket Cloud snapshot's documents read as a platform restore's `Source` (the shapes
of restore_source.py, which are GitHub's): what a restore into another platform writes from
a repository backed up from Bitbucket Cloud.

Bitbucket numbers issues and pull requests separately; GitHub and Gitea share one sequence.
As for GitLab's merge requests (restore_gitlab_source.py), an issue keeps its number and
pull request `k` becomes number `N + k`, `N` the highest issue number of the snapshot (its
text says which pull request it was). An issue's kind, priority and component become
labels; its milestone (a name on Bitbucket) a milestone numbered in order of first use. A
comment with `inline` (a file and line of the diff) is a review comment; deleted comments
are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from repovault.runner.restore_source import Items, Source

_OPEN = {"new", "open", "on hold", "submitted"}
_LABELS = ("kind", "priority", "component")


def _user(item: Any, field: str) -> dict[str, Any]:
    person = item.get(field) if isinstance(item, dict) else None
    person = person if isinstance(person, dict) else {}
    login = person.get("nickname") or person.get("display_name") or person.get("username")
    return {"login": login or "unknown"}


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("raw")
    return value if isinstance(value, str) else ""


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) and value else None


def _issue_labels(item: dict[str, Any]) -> list[str]:
    return [name for field in _LABELS if (name := _name(item.get(field)))]


def issue_of(item: dict[str, Any], milestones: dict[str, int]) -> dict[str, Any]:
    state = str(item.get("state") or "new").lower()
    milestone = _name(item.get("milestone"))
    return {
        "number": int(item["id"]),
        "title": item.get("title") or "",
        "body": _text(item.get("content")),
        "state": "open" if state in _OPEN else "closed",
        "user": _user(item, "reporter"),
        "created_at": item.get("created_on"),
        "closed_at": None if state in _OPEN else item.get("updated_on"),
        "labels": [{"name": name} for name in _issue_labels(item)],
        "milestone": {"number": milestones[milestone]} if milestone else None,
    }


def _branch(end: Any) -> str | None:
    branch = (end or {}).get("branch") if isinstance(end, dict) else None
    return _name(branch)


def pull_of(item: dict[str, Any], number: int) -> dict[str, Any]:
    """A Bitbucket pull request in GitHub's pull request shape, numbered `number`."""
    state = str(item.get("state") or "OPEN").upper()
    note = f"Pull request #{item['id']} of the original Bitbucket repository."
    body = item.get("description") or _text(item.get("summary"))
    pull: dict[str, Any] = {
        "number": number,
        "title": item.get("title") or "",
        "body": f"{note}\n\n{body}" if body else note,
        "state": "open" if state == "OPEN" else "closed",
        "user": _user(item, "author"),
        "created_at": item.get("created_on"),
        "closed_at": None if state == "OPEN" else item.get("updated_on"),
        "labels": [],
        "milestone": None,
        "head": {"ref": _branch(item.get("source"))},
        "base": {"ref": _branch(item.get("destination"))},
        "draft": bool(item.get("draft")),
    }
    if state == "MERGED":
        pull["merged_at"] = item.get("updated_on")
        if isinstance(item.get("closed_by"), dict):
            pull["merged_by"] = _user(item, "closed_by")
    return pull


def _comment(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": entry["id"],
        "body": _text(entry.get("content")),
        "user": _user(entry, "user"),
        "created_at": entry.get("created_on"),
    }


def _milestones(issues: list[dict[str, Any]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in issues:
        name = _name(item.get("milestone"))
        if name and name not in found:
            found[name] = len(found) + 1
    return found


def _labels(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = dict.fromkeys(name for item in issues for name in _issue_labels(item))
    return [{"name": name, "color": "ededed"} for name in names]


def _add_comments(source: Source, entries: Iterable[Any], field: str, offset: int) -> None:
    for entry in entries:
        parent = entry.get("issue" if field == "issue" else "pull_request")
        if entry.get("deleted") or not isinstance(parent, int):
            continue
        if isinstance(entry.get("inline"), dict):
            inline = entry["inline"]
            comment = {**_comment(entry), "path": inline.get("path"), "line": inline.get("to")}
            source.review_comments.setdefault(offset + parent, []).append(comment)
        else:
            source.comments.setdefault(offset + parent, []).append(_comment(entry))


def read_bitbucket_source(items: Items, documents: Iterable[str] = ()) -> Source:
    """The Bitbucket Cloud documents of a snapshot as a `Source` (numbers: the module
    docstring). Bitbucket releases no assets: `documents` is not read."""
    issues = [item for item in items("issues.json") if isinstance(item, dict)]
    milestones = _milestones(issues)
    source = Source(
        labels=_labels(issues),
        milestones=[
            {"number": number, "title": name, "description": None, "state": "open", "due_on": None}
            for name, number in milestones.items()
        ],
    )
    for item in issues:
        source.issues[int(item["id"])] = issue_of(item, milestones)
    offset = max([*source.issues, 0])
    for item in items("pull-requests.json"):
        number = offset + int(item["id"])
        source.pulls[number] = pull_of(item, number)
    _add_comments(source, items("issue-comments.json"), "issue", 0)
    _add_comments(source, items("pull-request-comments.json"), "pull_request", offset)
    return source
