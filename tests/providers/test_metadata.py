"""GitHub metadata export: every kind as a JSON document, conditional requests on the next
run, resourceKindsToIgnore, and a disabled feature as a warning."""

from __future__ import annotations

import json
from pathlib import Path

from repovault.providers.base import Access
from repovault.providers.github import GitHubDriver
from repovault.providers.metadata import COMMENTS, ISSUES, PageCache
from tests.providers.fake_github import (
    FakeGitHub,
    comment,
    issue,
    label,
    milestone,
    pull_request,
    release,
    review,
)


def _fake() -> FakeGitHub:
    fake = FakeGitHub()
    fake.orgs["o"] = []
    fake.repo_data["o/r"] = {
        "issues": [issue(i, f"issue {i}") for i in range(1, 151)] + [issue(151, "pr", pull=True)],
        "pulls": [pull_request(151, "pr"), pull_request(152, "another")],
        "pulls/151/reviews": [review(80), review(81, "CHANGES_REQUESTED")],
        "pulls/152/reviews": [],
        "issues/comments": [comment(1, "first"), comment(2, "second")],
        "pulls/comments": [comment(3, "on a line")],
        "releases": [release(1, "v1.0.0")],
        "labels": [label(1, "bug"), label(2, "enhancement")],
        "milestones": [milestone(1, "v1.0")],
    }
    return fake


def _load(path: Path) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(path.read_text())
    return data


def test_every_kind_exported_then_revalidated_cheaply(tmp_path: Path) -> None:
    fake = _fake()
    driver = GitHubDriver(Access(1, "o", None, None, "t"), fake.client())
    cache = PageCache(tmp_path / "etags")
    first = driver.export_metadata("o/r", tmp_path / "run1", cache, set())
    assert sorted(first.documents) == [
        "issue-comments.json",
        "issues.json",
        "labels.json",
        "milestones.json",
        "pull-requests.json",
        "releases.json",
        "review-comments.json",
        "reviews.json",
    ]
    issues = _load(first.documents["issues.json"])
    assert len(issues) == 150  # the pull request listed among issues is not an issue
    assert [r["state"] for r in _load(first.documents["reviews.json"])] == [
        "APPROVED",
        "CHANGES_REQUESTED",
    ]
    assert _load(first.documents["releases.json"])[0]["assets"][0]["name"] == "example.zip"
    assert first.not_modified == 0
    assert first.warnings == []

    second = driver.export_metadata("o/r", tmp_path / "run2", cache, set())
    assert second.not_modified == second.requests  # every page answered 304
    for name, path in second.documents.items():
        assert path.read_bytes() == first.documents[name].read_bytes(), name


def test_ignored_kinds_and_disabled_features(tmp_path: Path) -> None:
    fake = _fake()
    del fake.repo_data["o/r"]["releases"]  # answers 410, as a disabled feature does
    driver = GitHubDriver(Access(1, "o", None, None, "t"), fake.client())
    export = driver.export_metadata(
        "o/r", tmp_path / "out", PageCache(tmp_path / "c"), {ISSUES, COMMENTS}
    )
    assert sorted(export.documents) == ["labels.json", "milestones.json", "pull-requests.json"]
    assert len(export.warnings) == 1
    assert "releases not exported" in export.warnings[0]
    assert not any("/issues" in r.url.path for r in fake.requests)
