"""Issue 12 §3: which pull requests can be pull requests again, and how a thread reads (the
restore's pure parts, beside the round trips of test_restore_platform.py)."""

from __future__ import annotations

from typing import Any

import pytest

from repovault.runner.restore_source import Source, pull_branches, thread

BRANCHES = {"main", "feature"}


def _side(ref: str, repo: str | None = "acme/app", *, with_repo: bool = True) -> dict[str, Any]:
    side: dict[str, Any] = {"ref": ref}
    if with_repo:
        side["repo"] = None if repo is None else {"full_name": repo}
    return side


@pytest.mark.parametrize(
    ("head", "base", "reason"),
    [
        (_side("feature"), _side("main"), None),
        (_side("feature", with_repo=False), _side("main", with_repo=False), None),
        (_side("gone"), _side("main"), "the branch gone is not in the snapshot"),
        (_side("feature"), _side("old"), "the branch old is not in the snapshot"),
        (_side("feature", "bob/app"), _side("main"), "its head is in the fork bob/app"),
        (_side("feature", None), _side("main"), "its head was in a fork that is gone"),
    ],
)
def test_a_pull_request_is_one_again_only_from_branches_of_the_snapshot(
    head: dict[str, Any], base: dict[str, Any], reason: str | None
) -> None:
    assert pull_branches({"head": head, "base": base}, BRANCHES) == reason


def test_a_thread_is_comments_reviews_and_review_comments_in_time_order() -> None:
    user = {"login": "dave"}
    source = Source(
        comments={4: [{"id": 1, "body": "first", "user": user, "created_at": "2024-01-01"}]},
        reviews={
            4: [
                {"id": 2, "state": "CHANGES_REQUESTED", "body": "", "user": user,
                 "submitted_at": "2024-01-03"},
                {"id": 3, "state": "COMMENTED", "body": "", "user": user,
                 "submitted_at": "2024-01-02"},  # only holds its review comments: not repeated
                {"id": 4, "state": "PENDING", "body": "draft", "user": user,
                 "submitted_at": "2024-01-02"},  # not submitted: not restored
                {"id": 5, "state": "COMMENT", "body": "Gitea's word", "user": user,
                 "submitted_at": "2024-01-04"},
            ]
        },
        review_comments={
            4: [{"id": 6, "path": "a.py", "original_line": 3, "body": "here", "user": user,
                 "created_at": "2024-01-02", "diff_hunk": "@@ -1 +1 @@"}]
        },
    )  # fmt: skip
    posts = thread(source, 4)
    assert [post.key for post in posts] == ["1", "reviewComment:6", "review:2", "review:5"]
    assert [post.kind for post in posts] == ["comments", "reviewComments", "reviews", "reviews"]
    assert posts[1].body == (
        "_Originally commented by @dave at 2024-01-02 on `a.py:3`_\n\n"
        "```diff\n@@ -1 +1 @@\n```\n\nhere"
    )
    assert posts[2].body == "_Originally reviewed by @dave at 2024-01-03: requested changes_"
    assert (
        posts[3].body == "_Originally reviewed by @dave at 2024-01-04: commented_\n\nGitea's word"
    )
    assert thread(source, 5) == []
