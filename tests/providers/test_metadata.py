"""GitHub metadata export: every kind as a JSON document, conditional requests on the next
run, resourceKindsToIgnore, and a disabled feature as a warning."""

from __future__ import annotations

import json
from pathlib import Path

from repovault.providers.azure import AzureDevOpsDriver
from repovault.providers.base import Access, MetadataExporter
from repovault.providers.bitbucket import BitbucketDriver
from repovault.providers.gitea import GiteaDriver
from repovault.providers.github import GitHubDriver
from repovault.providers.gitlab import GitLabDriver
from repovault.providers.metadata import COMMENTS, ISSUES, PULL_REQUESTS, read_document
from repovault.providers.pages import PageCache
from repovault.providers.registry import driver_for
from tests.providers.fake_github import (
    FakeGitHub,
    comment,
    issue,
    label,
    milestone,
    pull_request,
    recorded,
    release,
    review,
)
from tests.providers.fake_platforms import Platforms, dc_comment_activity, dc_pull_request


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
    fake.asset_files["1"] = b"PK\x03\x04 a zip"
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
        "release-assets/1/example.zip",
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
    # Issues are asked for with `since` (one empty page); every other page answered 304.
    assert second.incremental == 1
    assert second.not_modified == second.requests - 1
    since = [r for r in fake.requests if "since" in r.url.params]
    assert [r.url.path for r in since] == ["/repos/o/r/issues"]
    for name, path in second.documents.items():
        assert path.read_bytes() == first.documents[name].read_bytes(), name


def test_issues_since_the_last_export_are_merged_into_the_previous_document(
    tmp_path: Path,
) -> None:
    fake = _fake()
    driver = GitHubDriver(Access(1, "o", None, None, "t"), fake.client())
    cache = PageCache(tmp_path / "etags")
    driver.export_metadata("o/r", tmp_path / "run1", cache, set())
    issues = fake.repo_data["o/r"]["issues"]
    changed = dict(issues[4], title="renamed", updated_at="2999-01-01T00:00:00Z")
    added = dict(issue(160, "brand new"), updated_at="2999-01-01T00:00:00Z")
    fake.repo_data["o/r"]["issues"] = [*issues[:4], changed, *issues[5:], added]
    fake.requests.clear()
    second = driver.export_metadata("o/r", tmp_path / "run2", cache, set())
    merged = _load(second.documents["issues.json"])
    assert len(merged) == 151
    assert merged[4]["title"] == "renamed"
    assert merged[-1]["title"] == "brand new"
    assert [m["number"] for m in merged[:4]] == [1, 2, 3, 4]
    issue_requests = [r for r in fake.requests if r.url.path == "/repos/o/r/issues"]
    assert len(issue_requests) == 1  # two items changed: one page, not six


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


def test_gitea_export_mirrors_githubs_documents(tmp_path: Path) -> None:
    fakes = Platforms()
    fakes.gitea.orgs["forge"] = []
    fakes.gitea.repos["forge/app"] = {
        "issues": [
            {
                "id": i,
                "number": i,
                "title": f"issue {i}",
                "state": "open",
                "user": {"login": "dev"},
                "body": "",
                "labels": [],
                "comments": 0,
            }
            for i in range(1, 61)
        ],
        "pulls": [
            {
                "id": 100,
                "number": 61,
                "title": "feature",
                "state": "open",
                "head": {"ref": "feature"},
                "base": {"ref": "main"},
            }
        ],
        # Gitea's PullReview always carries comments_count (recorded/gitea_pull_reviews.json)
        "pulls/61/reviews": [
            {
                "id": 7,
                "state": "APPROVED",
                "body": "lgtm",
                "user": {"login": "rev"},
                "comments_count": 0,
            }
        ],
        "issues/comments": [{"id": 1, "body": "hello", "user": {"login": "dev"}}],
        "releases": [],
        "labels": [{"id": 1, "name": "bug", "color": "ee0701"}],
        "milestones": [],
    }
    driver = GiteaDriver(Access(5, "forge", "https://forge.example.com", None, "t"), fakes.client())
    result = driver.export_metadata("forge/app", tmp_path / "out", PageCache(tmp_path / "c"), set())
    assert len(_load(result.documents["issues.json"])) == 60
    assert _load(result.documents["reviews.json"])[0]["pull_request"] == 61
    assert result.warnings == []


def test_gitlab_export_gathers_notes_and_approvals(tmp_path: Path) -> None:
    fakes = Platforms()
    fakes.gitlab.groups["platform"] = []
    fakes.gitlab.projects["platform/api"] = {
        "issues": [{"id": 90, "iid": 1, "title": "Broken", "state": "opened"}],
        "merge_requests": [{"id": 91, "iid": 2, "title": "Fix", "state": "merged"}],
        "issues/1/notes": [{"id": 301, "body": "confirmed", "author": {"username": "a"}}],
        "merge_requests/2/notes": [{"id": 302, "body": "looks good", "system": False}],
        # GitLab answers one object here, not a list (recorded/gitlab_merge_request_approvals)
        "merge_requests/2/approvals": dict(
            recorded("gitlab_merge_request_approvals.json")["body"], id=91, iid=2
        ),
        "releases": [
            {
                "tag_name": "v1",
                "name": "One",
                "assets": {
                    "count": 2,
                    "sources": [],
                    "links": [
                        {
                            "id": 1,
                            "name": "app.bin",
                            "url": "https://gitlab.com/platform/api/-/releases/v1/downloads/app.bin",
                            "direct_asset_url": "https://gitlab.com/platform/api/-/releases/v1/downloads/app.bin",
                            "link_type": "package",
                        },
                        {
                            "id": 2,
                            "name": "elsewhere.zip",
                            "url": "https://downloads.example.org/elsewhere.zip",
                            "direct_asset_url": "https://downloads.example.org/elsewhere.zip",
                            "link_type": "other",
                        },
                    ],
                },
            }
        ],
        "labels": [],
        "milestones": [],
    }
    fakes.gitlab.files["/platform/api/-/releases/v1/downloads/app.bin"] = b"\x7fELF binary"
    driver = GitLabDriver(Access(3, "platform", None, None, "t"), fakes.client())
    result = driver.export_metadata(
        "platform/api", tmp_path / "out", PageCache(tmp_path / "c"), set()
    )
    # The link on the GitLab server is downloaded; the one elsewhere stays a description.
    assert result.documents.pop("release-assets/v1/app.bin").read_bytes() == b"\x7fELF binary"
    assert _load(result.documents["issue-notes.json"])[0] == {
        "issue_iid": 1,
        "id": 301,
        "body": "confirmed",
        "author": {"username": "a"},
    }
    approvals = _load(result.documents["merge-request-approvals.json"])
    assert [(a["merge_request_iid"], a["approvals_left"]) for a in approvals] == [(2, 1)]
    assert sorted(result.documents) == sorted(
        [
            "issues.json",
            "merge-requests.json",
            "releases.json",
            "labels.json",
            "milestones.json",
            "issue-notes.json",
            "merge-request-notes.json",
            "merge-request-approvals.json",
        ]
    )


def test_bitbucket_export_follows_next_in_the_body(tmp_path: Path) -> None:
    fakes = Platforms()
    fakes.bitbucket.workspaces["team"] = []
    fakes.bitbucket.repos["team/app"] = {
        "pullrequests": [{"id": i, "title": f"pr {i}", "state": "MERGED"} for i in range(1, 121)],
        **{
            f"pullrequests/{i}/comments": [{"id": 1000 + i, "content": {"raw": "ok"}}]
            for i in range(1, 121)
        },
    }  # no issue tracker: its documents become a warning
    driver = BitbucketDriver(Access(2, "team", None, None, "token"), fakes.client())
    result = driver.export_metadata("team/app", tmp_path / "out", PageCache(tmp_path / "c"), set())
    assert len(_load(result.documents["pull-requests.json"])) == 120
    comments = _load(result.documents["pull-request-comments.json"])
    assert len(comments) == 120
    assert comments[0]["pull_request"] == 1
    assert [w.split(" not exported")[0] for w in result.warnings] == ["issues (issue tracker)"]


def test_azure_export_pages_with_top_and_skip(tmp_path: Path) -> None:
    fakes = Platforms()
    fakes.azure.repo_data["r1"] = {
        "pullrequests": [
            {"pullRequestId": i, "title": f"pr {i}", "status": "completed"} for i in range(1, 251)
        ],
        **{
            f"pullRequests/{i}/threads": [{"id": i, "comments": [{"content": "fine"}]}]
            for i in range(1, 251)
        },
    }
    driver = AzureDevOpsDriver(Access(4, "fabrikam", None, None, "pat"), fakes.client())
    result = driver.export_metadata("r1", tmp_path / "out", PageCache(tmp_path / "c"), set())
    assert len(_load(result.documents["pull-requests.json"])) == 250  # three pages
    assert len(_load(result.documents["pull-request-threads.json"])) == 250
    assert all(r.url.params["api-version"] == "7.1" for r in fakes.azure.requests)
    assert isinstance(driver, MetadataExporter)


def test_release_asset_files_are_downloaded_once(tmp_path: Path) -> None:
    fake = _fake()
    payload = bytes(range(256)) * 4096  # 1 MiB, binary
    fake.asset_files["1"] = payload
    driver = GitHubDriver(Access(1, "o", None, None, "t"), fake.client())
    cache = PageCache(tmp_path / "cache")
    first = driver.export_metadata("o/r", tmp_path / "one", cache, set())
    asset = first.documents["release-assets/1/example.zip"]
    assert asset.read_bytes() == payload
    downloads = [r for r in fake.requests if r.url.path.endswith("/releases/assets/1")]
    assert len(downloads) == 1
    assert downloads[0].headers["authorization"] == "Bearer t"
    second = driver.export_metadata("o/r", tmp_path / "two", cache, set())
    assert second.documents["release-assets/1/example.zip"].read_bytes() == payload
    assert len([r for r in fake.requests if r.url.path.endswith("/releases/assets/1")]) == 1
    del fake.asset_files["1"]
    fresh = driver.export_metadata("o/r", tmp_path / "three", PageCache(tmp_path / "c2"), set())
    assert "release-assets/1/example.zip" not in fresh.documents
    assert any("example.zip" in w for w in fresh.warnings)


def test_bitbucket_data_center_pull_requests_with_activities(tmp_path: Path) -> None:
    fakes = Platforms()
    fakes.bitbucket_server.projects["PRJ"] = []
    fakes.bitbucket_server.pull_requests["PRJ/app"] = [
        dc_pull_request(n, "MERGED" if n % 2 else "OPEN") for n in range(1, 131)
    ]
    fakes.bitbucket_server.activities[7] = [dc_comment_activity(70, "looks good")]
    driver = driver_for(
        Access(2, "PRJ", "https://bitbucket.example.com", None, "bbdc-token"), fakes.client()
    )
    assert isinstance(driver, MetadataExporter)
    result = driver.export_metadata("PRJ/app", tmp_path / "out", PageCache(tmp_path / "c"), set())
    pulls = list(read_document(result.documents["pull-requests.json"]))
    assert [p["id"] for p in pulls] == list(range(1, 131))  # two pages of 100
    activities = list(read_document(result.documents["pull-request-activities.json"]))
    assert [(a["pullRequest"], a["comment"]["text"]) for a in activities] == [(7, "looks good")]
    skipped = driver.export_metadata(
        "PRJ/app", tmp_path / "none", PageCache(tmp_path / "c"), {PULL_REQUESTS}
    )
    assert skipped.documents == {}
