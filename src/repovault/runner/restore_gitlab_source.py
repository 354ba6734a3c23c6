"""A GitLab snapshot's documents read as a platform restore's `Source` (the shapes of
restore_source.py, which are GitHub's): what a restore into GitHub or Gitea writes from a
project backed up from GitLab.

GitLab numbers issues (`#iid`) and merge requests (`!iid`) separately; GitHub and Gitea share
one sequence. An issue keeps its number; merge request `!k` becomes number `N + k`, `N` the
highest issue number of the snapshot (so `#5` still names issue 5; the merge request's text
says which `!k` it was). Notes that GitLab writes itself (`system: true`: "changed the
description", "mentioned in ...") are left out; a note on a line of the diff (`DiffNote`) is a
review comment; each approval a review that approved.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from repovault.providers.documents import asset_release
from repovault.runner.restore_source import Items, Source


def _user(item: Any) -> dict[str, Any]:
    author = item.get("author") if isinstance(item, dict) else None
    return {"login": (author or {}).get("username") or "unknown"}


def _state(item: dict[str, Any]) -> str:
    return "closed" if item.get("state") in ("closed", "merged") else "open"


def _milestone(item: dict[str, Any]) -> dict[str, Any] | None:
    milestone = item.get("milestone")
    return {"number": milestone["iid"]} if isinstance(milestone, dict) else None


def _labels(item: dict[str, Any]) -> list[dict[str, Any]]:
    # GitLab answers label names (or label objects with `with_labels_details`).
    labels = item.get("labels") or []
    return [{"name": label["name"] if isinstance(label, dict) else str(label)} for label in labels]


def _common(item: dict[str, Any], number: int) -> dict[str, Any]:
    return {
        "number": number,
        "title": item.get("title") or "",
        "body": item.get("description") or "",
        "state": _state(item),
        "user": _user(item),
        "created_at": item.get("created_at"),
        "closed_at": item.get("closed_at"),
        "labels": _labels(item),
        "milestone": _milestone(item),
    }


def issue_of(item: dict[str, Any]) -> dict[str, Any]:
    return _common(item, int(item["iid"]))


def pull_of(item: dict[str, Any], number: int) -> dict[str, Any]:
    """A merge request in GitHub's pull request shape, numbered `number`."""
    pull = _common(item, number)
    iid = item["iid"]
    note = f"Merge request !{iid} of the original project."
    pull["body"] = f"{note}\n\n{pull['body']}" if pull["body"] else note
    head: dict[str, Any] = {"ref": item.get("source_branch")}
    base: dict[str, Any] = {"ref": item.get("target_branch")}
    source, target = item.get("source_project_id"), item.get("target_project_id")
    if source is not None and target is not None and source != target:
        head["repo"] = {"full_name": f"GitLab project {source}"}
        base["repo"] = {"full_name": f"GitLab project {target}"}
    pull.update(head=head, base=base, draft=bool(item.get("draft") or item.get("work_in_progress")))
    if item.get("state") == "merged":
        pull["merged_at"] = item.get("merged_at") or item.get("updated_at")
        merged_by = item.get("merged_by") or item.get("merge_user")
        if isinstance(merged_by, dict):
            pull["merged_by"] = {"login": merged_by.get("username")}
    return pull


def _comment(note: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": note["id"],
        "body": note.get("body") or "",
        "user": _user(note),
        "created_at": note.get("created_at"),
    }


def _review_comment(note: dict[str, Any]) -> dict[str, Any]:
    position = note.get("position") or {}
    return {
        **_comment(note),
        "path": position.get("new_path") or position.get("old_path"),
        "line": position.get("new_line") or position.get("old_line"),
    }


def _reviews(entry: dict[str, Any]) -> list[dict[str, Any]]:
    iid = entry.get("merge_request_iid")
    return [
        {
            "id": f"approval-{iid}-{(approver.get('user') or {}).get('username')}",
            "state": "APPROVED",
            "body": "",
            "user": {"login": (approver.get("user") or {}).get("username") or "unknown"},
            "submitted_at": entry.get("updated_at"),
        }
        for approver in entry.get("approved_by") or []
        if isinstance(approver, dict)
    ]


def label_of(label: dict[str, Any]) -> dict[str, Any]:
    made = {"name": label["name"], "color": str(label.get("color") or "ededed").lstrip("#")}
    if label.get("description"):
        made["description"] = label["description"]
    return made


def milestone_of(milestone: dict[str, Any]) -> dict[str, Any]:
    due = milestone.get("due_date")
    return {
        "number": milestone["iid"],
        "title": milestone["title"],
        "description": milestone.get("description"),
        "state": "closed" if milestone.get("state") == "closed" else "open",
        "due_on": f"{due}T00:00:00Z" if due else None,
    }


def release_of(release: dict[str, Any]) -> dict[str, Any]:
    """A GitLab release (named by its tag: its asset documents are under the tag) with its
    links as assets; every link is also listed in the body (the ones on other hosts were
    not downloaded by the backup)."""
    links = (release.get("assets") or {}).get("links") or []
    body = release.get("description") or ""
    if links:
        listed = "\n".join(f"- [{link.get('name')}]({link.get('url')})" for link in links)
        body = f"{body}\n\nLinks of the original release:\n{listed}".lstrip()
    return {
        "id": release["tag_name"],
        "tag_name": release["tag_name"],
        "name": release.get("name") or release["tag_name"],
        "body": body,
        "author": _user(release),
        "created_at": release.get("released_at") or release.get("created_at"),
        "draft": False,
        "prerelease": bool(release.get("upcoming_release")),
        "assets": [
            {"name": link.get("name") or str(link.get("url") or "").rsplit("/", 1)[-1]}
            for link in links
        ],
    }


def read_gitlab_source(items: Items, documents: Iterable[str] = ()) -> Source:
    """The GitLab documents of a snapshot as a `Source` (numbers: the module docstring)."""
    source = Source(
        labels=[label_of(label) for label in items("labels.json")],
        milestones=[milestone_of(milestone) for milestone in items("milestones.json")],
        releases=[release_of(release) for release in items("releases.json")],
    )
    for item in items("issues.json"):
        source.issues[int(item["iid"])] = issue_of(item)
    offset = max([*source.issues, 0])
    for item in items("merge-requests.json"):
        number = offset + int(item["iid"])
        source.pulls[number] = pull_of(item, number)
    for note in items("issue-notes.json"):
        if not note.get("system") and isinstance(note.get("issue_iid"), int):
            source.comments.setdefault(note["issue_iid"], []).append(_comment(note))
    for note in items("merge-request-notes.json"):
        iid = note.get("merge_request_iid")
        if note.get("system") or not isinstance(iid, int):
            continue
        if note.get("type") == "DiffNote":
            source.review_comments.setdefault(offset + iid, []).append(_review_comment(note))
        else:
            source.comments.setdefault(offset + iid, []).append(_comment(note))
    for entry in items("merge-request-approvals.json"):
        iid = entry.get("merge_request_iid")
        if isinstance(iid, int) and (reviews := _reviews(entry)):
            source.reviews[offset + iid] = reviews
    for name in documents:
        found = asset_release(name)
        if found is not None:
            source.assets.setdefault(found[0], {})[found[1]] = name
    return source
