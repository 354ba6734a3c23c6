"""What a restore creates for one number of the snapshot: an issue, a pull request, or an
issue standing for a pull request the platform cannot take back, or a placeholder.

A pull request is created as one (`POST /repos/{o}/{r}/pulls`) when its head and base are
branches of the restored repository (and its head is not in a fork); the platform may still
refuse it (422 "No commits between", an open pull request for the same branches, ...). A
closed or merged one is closed at once: a merged one cannot be merged again, so its author
line says when and by whom it was merged. Otherwise it becomes an issue labelled
`restored pull request`, its body naming its head and base, with its conversation.
"""

from __future__ import annotations

from typing import Any

from repovault.runner.restore_source import (
    PULL_LABEL,
    Restoring,
    authored,
    pull_branches,
    with_author,
)

REFUSED = "the platform refused it (no commits between its branches, or one already open)"


def issue_request(
    item: dict[str, Any], labels: dict[str, Any], milestones: dict[int, Any], body: str
) -> dict[str, Any]:
    """The create body of an issue (or pull request): title, body, labels, milestone."""
    request: dict[str, Any] = {"title": item["title"], "body": body}
    names = [label["name"] for label in item.get("labels") or [] if label["name"] in labels]
    if names:
        request["labels"] = [labels[name] for name in names]
    milestone = (item.get("milestone") or {}).get("number")
    if milestone in milestones:
        request["milestone"] = milestones[milestone]
    return request


def issue_text(issue: dict[str, Any]) -> str:
    return with_author(issue, "opened")


def pull_text(pull: dict[str, Any], reason: str | None = None) -> str:
    """A pull request's body: the author line (with when and by whom it was merged, or when
    it was closed), why it is an issue (when it is), then its description."""
    line = authored(pull, "opened").removesuffix("_")
    if pull.get("merged_at"):
        by = (pull.get("merged_by") or {}).get("login")
        line += f"; merged {f'by @{by} ' if by else ''}at {pull['merged_at']}"
    elif pull.get("state") == "closed":
        line += f"; closed at {pull.get('closed_at') or 'an unknown time'}"
    parts = [line + "_"]
    if reason is not None:
        head = (pull.get("head") or {}).get("ref")
        base = (pull.get("base") or {}).get("ref")
        parts.append(
            f"Pull request #{pull['number']} of the original repository, `{head}` into "
            f"`{base}`: restored as an issue because {reason}."
        )
    if pull.get("body"):
        parts.append(str(pull["body"]))
    return "\n\n".join(parts)


def placeholder_request(number: int) -> dict[str, Any]:
    text = f"Placeholder: #{number} is not in the snapshot (deleted, or not backed up)."
    return {"title": f"Placeholder for #{number}", "body": text}


class Numbers:
    """Creates what each number of the snapshot becomes (a part of `PlatformRestore`)."""

    def __init__(self, restore: Restoring, branches: set[str]) -> None:
        self.restore = restore
        self.branches = branches

    def ends_closed(self, number: int) -> bool:
        source = self.restore.source
        item = source.issues.get(number) or source.pulls.get(number)
        return item is None or item.get("state") == "closed"

    def create(self, number: int, labels: dict[str, Any], milestones: dict[int, Any]) -> Any:
        restore = self.restore
        issue = restore.source.issues.get(number)
        if issue is not None:
            request = issue_request(issue, labels, milestones, issue_text(issue))
            closed = issue.get("state") == "closed"
            made = restore.writer.create_issue(restore.name, request, closed=closed)
            restore.made_one("issues")
            return made
        pull = restore.source.pulls.get(number)
        if pull is not None:
            return self.pull(pull, labels, milestones)
        made = restore.writer.create_issue(restore.name, placeholder_request(number), closed=True)
        restore.made_one("placeholders")
        return made

    def pull(self, pull: dict[str, Any], labels: dict[str, Any], milestones: dict[int, Any]) -> Any:
        restore = self.restore
        closed = pull.get("state") == "closed"
        reason = pull_branches(pull, self.branches)
        if reason is None:
            request = issue_request(pull, labels, milestones, pull_text(pull))
            body = {
                "title": request["title"],
                "body": request["body"],
                "head": pull["head"]["ref"],
                "base": pull["base"]["ref"],
                **({"draft": True} if pull.get("draft") else {}),
            }
            made = restore.writer.create_pull(
                restore.name,
                body,
                labels=request.get("labels", []),
                milestone=request.get("milestone"),
                closed=closed,
            )
            if made is not None:
                restore.made_one("pull requests")
                return made
            reason = REFUSED
        request = issue_request(pull, labels, milestones, pull_text(pull, reason))
        request["labels"] = [*request.get("labels", []), restore.label_ref(PULL_LABEL)]
        made = restore.writer.create_issue(restore.name, request, closed=closed)
        restore.made_one("pull requests as issues")
        return made
