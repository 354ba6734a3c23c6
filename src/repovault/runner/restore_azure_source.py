"""An Azure DevOps snapshot's documents read as a platform restore's `Source` (the shapes of
restore_source.py, which are GitHub's): what a restore into another platform writes from a
repository backed up from Azure DevOps.

A repository snapshot of Azure DevOps holds pull requests only (its work items belong to the
project, not to the repository). Their ids (`pullRequestId`) are the organization's, not the
repository's (its first pull request may be 4000): kept, they would need thousands of
placeholders. So they are numbered 1, 2, ... in id order, each text saying which pull
request `!id` it was. Each thread's comments
are the pull request's comments, but those Azure DevOps writes itself (`commentType:
system`: votes, pushes, status changes); a thread on a file and line (`threadContext`) gives
review comments (its path without the leading `/`). Labels (tags) on pull requests become labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from repovault.runner.restore_source import Items, Source

_HEADS = "refs/heads/"


def _user(item: Any, field: str) -> dict[str, Any]:
    person = item.get(field) if isinstance(item, dict) else None
    person = person if isinstance(person, dict) else {}
    login = person.get("uniqueName") or person.get("displayName")
    return {"login": login or "unknown"}


def _branch(ref: Any) -> str | None:
    return ref.removeprefix(_HEADS) if isinstance(ref, str) else None


def _labels(item: dict[str, Any]) -> list[dict[str, Any]]:
    labels = item.get("labels") or []
    return [
        {"name": label["name"]}
        for label in labels
        if isinstance(label, dict) and isinstance(label.get("name"), str)
    ]


def pull_of(item: dict[str, Any], number: int) -> dict[str, Any]:
    """An Azure DevOps pull request in GitHub's pull request shape, numbered `number`."""
    status = str(item.get("status") or "active").lower()
    note = f"Pull request !{item['pullRequestId']} of the original Azure DevOps repository."
    body = item.get("description") or ""
    pull: dict[str, Any] = {
        "number": number,
        "title": item.get("title") or "",
        "body": f"{note}\n\n{body}" if body else note,
        "state": "open" if status == "active" else "closed",
        "user": _user(item, "createdBy"),
        "created_at": item.get("creationDate"),
        "closed_at": item.get("closedDate"),
        "labels": _labels(item),
        "milestone": None,
        "head": {"ref": _branch(item.get("sourceRefName"))},
        "base": {"ref": _branch(item.get("targetRefName"))},
        "draft": bool(item.get("isDraft")),
    }
    if status == "completed":
        pull["merged_at"] = item.get("closedDate")
        if isinstance(item.get("closedBy"), dict):
            pull["merged_by"] = _user(item, "closedBy")
    return pull


def _add_thread(source: Source, thread: dict[str, Any], numbers: dict[int, int]) -> None:
    pull_id = thread.get("pullRequestId")
    number = numbers.get(pull_id) if isinstance(pull_id, int) else None
    if number is None or thread.get("isDeleted"):
        return
    context = thread.get("threadContext")
    for comment in thread.get("comments") or []:
        if not isinstance(comment, dict) or comment.get("commentType") == "system":
            continue
        if comment.get("isDeleted"):
            continue
        made = {
            "id": f"{thread.get('id')}-{comment.get('id')}",
            "body": comment.get("content") or "",
            "user": _user(comment, "author"),
            "created_at": comment.get("publishedDate"),
        }
        if isinstance(context, dict):
            start = context.get("rightFileStart") or context.get("leftFileStart") or {}
            path = context.get("filePath")  # "/src/app.py": rooted at the repository
            made.update(path=path.lstrip("/") if isinstance(path, str) else None)
            made["line"] = start.get("line")
            source.review_comments.setdefault(number, []).append(made)
        else:
            source.comments.setdefault(number, []).append(made)


def read_azure_source(items: Items, documents: Iterable[str] = ()) -> Source:
    """The Azure DevOps documents of a snapshot as a `Source` (the module docstring); it
    holds no releases, so `documents` is not read."""
    source = Source()
    pulls = [item for item in items("pull-requests.json") if isinstance(item, dict)]
    ids = sorted({int(item["pullRequestId"]) for item in pulls})
    numbers = {pull_id: place for place, pull_id in enumerate(ids, start=1)}
    for item in pulls:
        number = numbers[int(item["pullRequestId"])]
        source.pulls[number] = pull_of(item, number)
    names = dict.fromkeys(
        label["name"] for pull in source.pulls.values() for label in pull["labels"]
    )
    source.labels = [{"name": name, "color": "ededed"} for name in names]
    for thread in items("pull-request-threads.json"):
        if isinstance(thread, dict):
            _add_thread(source, thread, numbers)
    return source
