"""How each platform's issues, pull requests and their conversations read (see
`documents.py` for what a Dialect is). The field names are those of the platforms' REST APIs,
as the drivers export them; `dialect_for` picks the table of an organization's driver.

    GitHub, Gitea   issues.json, pull-requests.json; issue-comments.json (both kinds, by URL),
                    reviews.json, review-comments.json (pull requests)
    GitLab          issues.json, merge-requests.json; issue-notes.json, merge-request-notes.json,
                    merge-request-approvals.json
    Bitbucket       issues.json, pull-requests.json; issue-comments.json,
                    pull-request-comments.json
    Bitbucket DC    pull-requests.json; pull-request-activities.json
    Azure DevOps    pull-requests.json; pull-request-threads.json
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from repovault.common.enums import Driver
from repovault.providers.base import Access
from repovault.providers.bitbucket_server import is_data_center
from repovault.providers.documents import (
    Dialect,
    Entry,
    Shape,
    Summary,
    Thread,
    as_number,
    dig,
    field_number,
    first_text,
    ms,
    names,
    url_number,
)

Reader = Callable[[Any], Summary | None]


def _summary(
    item: Any, number: str, state: str, author: str | None, labels: list[str], times: Any
) -> Summary | None:
    found = as_number(dig(item, number))
    if found is None:
        return None
    created, updated = times
    return Summary(
        number=found,
        title=first_text(item, ("title",)) or "",
        state=state,
        author=author,
        labels=labels,
        created_at=ms(dig(item, created)),
        updated_at=ms(dig(item, updated)),
    )


# GitHub and Gitea --------------------------------------------------------------------------


def _github(item: Any) -> Summary | None:
    merged = bool(dig(item, "merged_at")) or dig(item, "merged") is True
    state = "merged" if merged else str(dig(item, "state") or "open").lower()
    author = first_text(item, ("user", "login"))
    labels = names(dig(item, "labels"))
    return _summary(item, "number", state, author, labels, ("created_at", "updated_at"))


def _github_entry(kind: str, time: str) -> Callable[[Any], list[Entry]]:
    """A comment (`created_at`), a review (`submitted_at`, its state) or a review comment
    (its file and line)."""

    def entries(entry: Any) -> list[Entry]:
        line = as_number(dig(entry, "line")) or as_number(dig(entry, "original_line"))
        return [
            Entry(
                kind,
                first_text(entry, ("user", "login")),
                ms(dig(entry, time)),
                first_text(entry, ("body",)) or "",
                state=first_text(entry, ("state",)) if kind == "review" else None,
                path=first_text(entry, ("path",)),
                line=line if kind == "reviewComment" else None,
            )
        ]

    return entries


_GITHUB_COMMENTS = Thread(
    "issue-comments.json",
    "comments",
    url_number("issue_url", "pull_request_url", "html_url"),
    _github_entry("comment", "created_at"),
)


def _github_body(item: Any) -> str:
    return first_text(item, ("body",)) or ""


GITHUB = Dialect(
    "github",
    issues=Shape("issues.json", _github, _github_body, (_GITHUB_COMMENTS,)),
    pulls=Shape(
        "pull-requests.json",
        _github,
        _github_body,
        (
            _GITHUB_COMMENTS,
            Thread(
                "reviews.json",
                "reviews",
                field_number("pull_request"),
                _github_entry("review", "submitted_at"),
            ),
            Thread(
                "review-comments.json",
                "reviewComments",
                url_number("pull_request_url", "html_url"),
                _github_entry("reviewComment", "created_at"),
            ),
        ),
    ),
)

# GitLab -------------------------------------------------------------------------------------

_GITLAB_STATES = {"opened": "open", "locked": "open", "reopened": "open"}


def _gitlab(item: Any) -> Summary | None:
    state = str(dig(item, "state") or "opened").lower()
    author = first_text(item, ("author", "username"))
    labels = names(dig(item, "labels"))
    state = _GITLAB_STATES.get(state, state)
    return _summary(item, "iid", state, author, labels, ("created_at", "updated_at"))


def _gitlab_note(entry: Any) -> list[Entry]:
    diff = dig(entry, "type") == "DiffNote"
    kind = "event" if dig(entry, "system") is True else "reviewComment" if diff else "comment"
    return [
        Entry(
            kind,
            first_text(entry, ("author", "username")),
            ms(dig(entry, "created_at")),
            first_text(entry, ("body",)) or "",
            path=first_text(entry, ("position", "new_path")) if diff else None,
            line=as_number(dig(entry, "position", "new_line")) if diff else None,
        )
    ]


def _gitlab_approvals(entry: Any) -> list[Entry]:
    approvers = dig(entry, "approved_by")
    return [
        Entry(
            "review",
            first_text(approver, ("user", "username")),
            ms(dig(entry, "updated_at")),
            "",
            state="APPROVED",
        )
        for approver in (approvers if isinstance(approvers, list) else [])
    ]


def _gitlab_body(item: Any) -> str:
    return first_text(item, ("description",)) or ""


GITLAB = Dialect(
    "gitlab",
    issues=Shape(
        "issues.json",
        _gitlab,
        _gitlab_body,
        (Thread("issue-notes.json", "comments", field_number("issue_iid"), _gitlab_note),),
    ),
    pulls=Shape(
        "merge-requests.json",
        _gitlab,
        _gitlab_body,
        (
            Thread(
                "merge-request-notes.json",
                "comments",
                field_number("merge_request_iid"),
                _gitlab_note,
            ),
            Thread(
                "merge-request-approvals.json",
                "reviews",
                field_number("merge_request_iid"),
                _gitlab_approvals,
            ),
        ),
    ),
)

# Bitbucket Cloud ----------------------------------------------------------------------------

_BITBUCKET_OPEN = {"new", "open", "on hold", "submitted"}
_BITBUCKET_PULL_STATES = {"declined": "closed", "superseded": "closed"}


def _bitbucket_person(item: Any, field: str) -> str | None:
    return first_text(item, (field, "display_name"), (field, "nickname"))


def _bitbucket_issue(item: Any) -> Summary | None:
    state = "open" if str(dig(item, "state") or "new").lower() in _BITBUCKET_OPEN else "closed"
    labels = [
        text
        for text in (dig(item, "kind"), dig(item, "component", "name"))
        if isinstance(text, str) and text
    ]
    author = _bitbucket_person(item, "reporter")
    return _summary(item, "id", state, author, labels, ("created_on", "updated_on"))


def _bitbucket_pull(item: Any) -> Summary | None:
    state = str(dig(item, "state") or "open").lower()
    state = _BITBUCKET_PULL_STATES.get(state, state)
    author = _bitbucket_person(item, "author")
    return _summary(item, "id", state, author, [], ("created_on", "updated_on"))


def _bitbucket_comment(entry: Any) -> list[Entry]:
    inline = dig(entry, "inline")
    return [
        Entry(
            "reviewComment" if isinstance(inline, dict) else "comment",
            _bitbucket_person(entry, "user"),
            ms(dig(entry, "created_on")),
            first_text(entry, ("content", "raw")) or "",
            path=first_text(inline, ("path",)),
            line=as_number(dig(inline, "to")),
        )
    ]


BITBUCKET = Dialect(
    "bitbucket",
    issues=Shape(
        "issues.json",
        _bitbucket_issue,
        lambda item: first_text(item, ("content", "raw")) or "",
        (Thread("issue-comments.json", "comments", field_number("issue"), _bitbucket_comment),),
    ),
    pulls=Shape(
        "pull-requests.json",
        _bitbucket_pull,
        lambda item: first_text(item, ("description",), ("summary", "raw")) or "",
        (
            Thread(
                "pull-request-comments.json",
                "comments",
                field_number("pull_request"),
                _bitbucket_comment,
            ),
        ),
    ),
)

# Bitbucket Data Center ----------------------------------------------------------------------


def _dc_person(item: Any, *path: str) -> str | None:
    return first_text(item, (*path, "displayName"), (*path, "name"))


def _dc_pull(item: Any) -> Summary | None:
    state = str(dig(item, "state") or "OPEN").lower()
    state = "closed" if state == "declined" else state
    author = _dc_person(item, "author", "user")
    return _summary(item, "id", state, author, [], ("createdDate", "updatedDate"))


def _dc_comment(comment: Any, anchor: Any = None) -> list[Entry]:
    """A comment and its replies, depth first; `anchor`: the activity's file and line."""
    anchor = dig(comment, "anchor") or anchor
    found = [
        Entry(
            "reviewComment" if isinstance(anchor, dict) else "comment",
            _dc_person(comment, "author"),
            ms(dig(comment, "createdDate")),
            first_text(comment, ("text",)) or "",
            path=first_text(anchor, ("path",)),
            line=as_number(dig(anchor, "line")),
        )
    ]
    replies = dig(comment, "comments")
    for reply in replies if isinstance(replies, list) else []:
        found += _dc_comment(reply)
    return found


def _dc_activity(entry: Any) -> list[Entry]:
    action = str(dig(entry, "action") or "")
    if action == "COMMENTED" and isinstance(dig(entry, "comment"), dict):
        return _dc_comment(dig(entry, "comment"), dig(entry, "commentAnchor"))
    author, at = _dc_person(entry, "user"), ms(dig(entry, "createdDate"))
    if action in ("APPROVED", "REVIEWED", "UNAPPROVED"):
        return [Entry("review", author, at, "", state=action)]
    return [Entry("event", author, at, action.lower().replace("_", " "))]


BITBUCKET_DC = Dialect(
    "bitbucket-dc",
    issues=None,
    pulls=Shape(
        "pull-requests.json",
        _dc_pull,
        lambda item: first_text(item, ("description",)) or "",
        (
            Thread(
                "pull-request-activities.json",
                "comments",
                field_number("pullRequest"),
                _dc_activity,
            ),
        ),
    ),
)

# Azure DevOps -------------------------------------------------------------------------------

_AZURE_STATES = {"active": "open", "completed": "merged", "abandoned": "closed"}


def _azure_pull(item: Any) -> Summary | None:
    state = str(dig(item, "status") or "active").lower()
    author = first_text(item, ("createdBy", "displayName"), ("createdBy", "uniqueName"))
    labels = names(dig(item, "labels"))
    times = ("creationDate", "closedDate")
    return _summary(item, "pullRequestId", _AZURE_STATES.get(state, state), author, labels, times)


def _azure_thread(entry: Any) -> list[Entry]:
    context = dig(entry, "threadContext")
    comments = dig(entry, "comments")
    found = []
    for comment in comments if isinstance(comments, list) else []:
        system = dig(comment, "commentType") == "system"
        kind = "event" if system else "reviewComment" if isinstance(context, dict) else "comment"
        found.append(
            Entry(
                kind,
                first_text(comment, ("author", "displayName"), ("author", "uniqueName")),
                ms(dig(comment, "publishedDate")),
                first_text(comment, ("content",)) or "",
                path=first_text(context, ("filePath",)),
                line=as_number(dig(context, "rightFileStart", "line")),
            )
        )
    return found


AZURE = Dialect(
    "azure",
    issues=None,
    pulls=Shape(
        "pull-requests.json",
        _azure_pull,
        lambda item: first_text(item, ("description",)) or "",
        (
            Thread(
                "pull-request-threads.json",
                "comments",
                field_number("pullRequestId"),
                _azure_thread,
            ),
        ),
    ),
)

DIALECTS: dict[int, Dialect] = {
    Driver.GITHUB: GITHUB,
    Driver.GITEA: GITHUB,
    Driver.GITLAB: GITLAB,
    Driver.AZURE: AZURE,
}


def dialect_for(driver: int, api_url: str | None) -> Dialect | None:
    """The dialect of an organization's documents; None for a platform without metadata."""
    if driver == Driver.BITBUCKET:
        access = Access(driver=driver, name="", api_url=api_url, username=None, token=None)
        return BITBUCKET_DC if is_data_center(access) else BITBUCKET
    return DIALECTS.get(driver)
