"""Reading the stored metadata documents back, platform by platform: each item's summary
(number, title, state, author, labels, times), which item a conversation entry belongs to,
and the entry as plain text; the documents' kinds; items streamed line by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from repovault.common.enums import Driver
from repovault.providers.dialects import (
    AZURE,
    BITBUCKET,
    BITBUCKET_DC,
    GITHUB,
    GITLAB,
    dialect_for,
)
from repovault.providers.documents import Shape, kind_of, release_summary
from repovault.providers.metadata import read_document, stream_items, write_document
from tests.providers.fake_platforms import dc_comment_activity, dc_pull_request


def _thread(shape: Shape, document: str) -> Any:
    (thread,) = [t for t in shape.threads if t.document == document]
    return thread


def test_dialects_follow_the_organizations_driver() -> None:
    assert dialect_for(Driver.GITHUB, None) is GITHUB
    assert dialect_for(Driver.GITEA, "https://forge.example.com") is GITHUB
    assert dialect_for(Driver.GITLAB, None) is GITLAB
    assert dialect_for(Driver.AZURE, None) is AZURE
    assert dialect_for(Driver.BITBUCKET, None) is BITBUCKET
    assert dialect_for(Driver.BITBUCKET, "https://bitbucket.example.com") is BITBUCKET_DC
    assert dialect_for(Driver.GIT, None) is None


def test_gitlab_issues_merge_requests_notes_and_approvals() -> None:
    assert GITLAB.issues is not None
    assert GITLAB.pulls is not None
    issue = {
        "id": 90,
        "iid": 7,
        "title": "Broken",
        "state": "opened",
        "author": {"username": "ann"},
        "labels": ["bug", "p1"],
        "description": "It breaks.",
        "created_at": "2024-02-01T08:00:00.000Z",
        "updated_at": "2024-02-02T08:00:00.000+01:00",
    }
    summary = GITLAB.issues.summary(issue)
    assert summary is not None
    assert (summary.number, summary.state, summary.author, summary.labels) == (
        7,
        "open",
        "ann",
        ["bug", "p1"],
    )
    assert summary.created_at == 1706774400000
    assert summary.updated_at == 1706857200000
    assert GITLAB.issues.body(issue) == "It breaks."
    merged = GITLAB.pulls.summary({"iid": 3, "title": "Fix", "state": "merged"})
    assert merged is not None
    assert merged.state == "merged"
    notes = _thread(GITLAB.pulls, "merge-request-notes.json")
    diff_note = {
        "merge_request_iid": 3,
        "id": 1,
        "type": "DiffNote",
        "body": "nit",
        "author": {"username": "bo"},
        "created_at": "2024-02-03T00:00:00Z",
        "system": False,
        "position": {"new_path": "a.py", "new_line": 4},
    }
    assert notes.parent(diff_note) == 3
    (entry,) = notes.entries(diff_note)
    assert (entry.kind, entry.author, entry.body, entry.path, entry.line) == (
        "reviewComment",
        "bo",
        "nit",
        "a.py",
        4,
    )
    (event,) = notes.entries({"body": "merged", "system": True, "author": {"username": "bo"}})
    assert event.kind == "event"
    approvals = _thread(GITLAB.pulls, "merge-request-approvals.json")
    approved = {
        "merge_request_iid": 3,
        "approved_by": [{"user": {"username": "b"}}, {"user": {"username": "c"}}],
    }
    assert [(e.kind, e.author, e.state) for e in approvals.entries(approved)] == [
        ("review", "b", "APPROVED"),
        ("review", "c", "APPROVED"),
    ]


def test_bitbucket_comments_name_their_item_as_an_object() -> None:
    assert BITBUCKET.issues is not None
    assert BITBUCKET.pulls is not None
    issue = {
        "id": 4,
        "title": "Typo",
        "state": "resolved",
        "kind": "bug",
        "reporter": {"display_name": "Ann"},
        "content": {"raw": "A typo."},
        "created_on": "2024-02-01T08:00:00.123456+00:00",
    }
    summary = BITBUCKET.issues.summary(issue)
    assert summary is not None
    assert (summary.state, summary.author, summary.labels) == ("closed", "Ann", ["bug"])
    assert BITBUCKET.issues.body(issue) == "A typo."
    declined = BITBUCKET.pulls.summary({"id": 9, "title": "x", "state": "DECLINED"})
    assert declined is not None
    assert declined.state == "closed"
    comments = _thread(BITBUCKET.pulls, "pull-request-comments.json")
    # The API's own `pull_request` object replaces the number the export labelled it with.
    comment = {
        "pull_request": {"type": "pullrequest", "id": 9, "title": "x"},
        "content": {"raw": "why?"},
        "user": {"display_name": "Bo"},
        "inline": {"path": "b.py", "to": 12},
    }
    assert comments.parent(comment) == 9
    assert comments.parent({"pull_request": 9}) == 9
    (entry,) = comments.entries(comment)
    assert (entry.kind, entry.author, entry.body, entry.path, entry.line) == (
        "reviewComment",
        "Bo",
        "why?",
        "b.py",
        12,
    )


def test_bitbucket_data_center_activities() -> None:
    assert BITBUCKET_DC.pulls is not None
    summary = BITBUCKET_DC.pulls.summary(dc_pull_request(7, "MERGED"))
    assert summary is not None
    assert (summary.number, summary.state, summary.author, summary.created_at) == (
        7,
        "merged",
        "alice",
        1700000000000,
    )
    activities = _thread(BITBUCKET_DC.pulls, "pull-request-activities.json")
    commented = {"pullRequest": 7, **dc_comment_activity(70, "looks good")}
    assert activities.parent(commented) == 7
    (entry,) = activities.entries(commented)
    assert (entry.kind, entry.author, entry.body) == ("comment", "bob", "looks good")
    (approval,) = activities.entries({"action": "APPROVED", "user": {"name": "carl"}})
    assert (approval.kind, approval.author, approval.state) == ("review", "carl", "APPROVED")


def test_azure_pull_requests_and_threads() -> None:
    assert AZURE.issues is None
    assert AZURE.pulls is not None
    pull = {
        "pullRequestId": 12,
        "title": "Feature",
        "status": "completed",
        "createdBy": {"displayName": "Ann", "uniqueName": "ann@example.com"},
        "labels": [{"name": "release"}],
        "creationDate": "2024-02-01T08:00:00.1234567Z",
    }
    summary = AZURE.pulls.summary(pull)
    assert summary is not None
    assert (summary.state, summary.author, summary.labels) == ("merged", "Ann", ["release"])
    assert summary.created_at == 1706774400123
    threads = _thread(AZURE.pulls, "pull-request-threads.json")
    thread = {
        "pullRequestId": 12,
        "threadContext": {"filePath": "/src/a.cs", "rightFileStart": {"line": 3}},
        "comments": [
            {"author": {"displayName": "Bo"}, "content": "Rename this", "commentType": "text"},
            {"author": {"displayName": "Ann"}, "content": "Done", "commentType": "text"},
        ],
    }
    assert threads.parent(thread) == 12
    assert [(e.kind, e.author, e.body, e.path, e.line) for e in threads.entries(thread)] == [
        ("reviewComment", "Bo", "Rename this", "/src/a.cs", 3),
        ("reviewComment", "Ann", "Done", "/src/a.cs", 3),
    ]


def test_gitea_comments_name_their_item_by_url() -> None:
    assert GITHUB.pulls is not None
    comments = _thread(GITHUB.pulls, "issue-comments.json")
    on_pull = {
        "issue_url": "",
        "pull_request_url": "https://forge.example.com/o/r/pulls/5",
        "body": "ok",
    }
    assert comments.parent(on_pull) == 5
    assert comments.parent({"html_url": "https://github.com/o/r/pull/6#issuecomment-1"}) == 6
    assert comments.parent({"body": "no link"}) is None
    gitea_merged = GITHUB.pulls.summary(
        {"number": 5, "title": "t", "state": "closed", "merged": True}
    )
    assert gitea_merged is not None
    assert gitea_merged.state == "merged"


def test_releases_of_every_platform() -> None:
    gitlab = release_summary(
        {"tag_name": "v2", "name": "Two", "author": {"username": "ann"}, "released_at": None}, "v2"
    )
    assert gitlab is not None
    assert (gitlab.tag, gitlab.author, gitlab.created_at) == ("v2", "ann", None)
    assert release_summary({"name": "no tag"}, "x") is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("issues.json", "issues"),
        ("merge-requests.json", "pullRequests"),
        ("merge-request-approvals.json", "reviews"),
        ("pull-request-threads.json", "comments"),
        ("release-assets/v1/app.bin", "releaseAssets"),
        ("wiki-pages.json", "wikiPages"),
    ],
)
def test_document_kinds(name: str, kind: str) -> None:
    assert kind_of(name) == kind


def test_items_stream_line_by_line_across_blocks(tmp_path: Path) -> None:
    items = [{"n": i, "text": "line\nbreak, [bracket]" * i} for i in range(50)]
    path, count = write_document(tmp_path, "items.json", iter(items))
    assert count == 50
    raw = path.read_bytes()
    blocks = [raw[i : i + 7] for i in range(0, len(raw), 7)]  # lines split anywhere
    assert list(stream_items(blocks)) == items
    assert list(read_document(path)) == items
    empty, none = write_document(tmp_path, "empty.json", [])
    assert none == 0
    assert list(stream_items([empty.read_bytes()])) == []
    # A document written by hand as one array on one line still gives its items.
    assert list(stream_items([json.dumps(items[:3]).encode()])) == items[:3]
