"""What a snapshot holds, read back through the API (issue 12 §1): a real backup with
metadata through the fake GitHub and the embedded worker, then the snapshot list's counts,
its documents, its issues, pull requests and releases paged and searched, one item with its
conversation, an encrypted plan's documents, and the 404s of what does not exist."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from repovault.backends.local import LocalBackend
from repovault.runtime import Runtime
from repovault.storages.models import Storage
from tests.conftest import Api
from tests.e2e.metadata import Backed, github_with_metadata, run
from tests.engine.repos import commit, git
from tests.providers.fake_github import FakeGitHub

COUNTS = {
    "issues": 3,
    "pullRequests": 2,
    "comments": 3,
    "reviewComments": 1,
    "reviews": 1,
    "releases": 1,
    "releaseAssets": 1,
    "labels": 3,
    "milestones": 1,
}
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def backed(api: Api, github: FakeGitHub, tmp_path: Path) -> Backed:
    return github_with_metadata(api, github, tmp_path / "git")


def _numbers(api: Api, path: str, body: dict[str, Any]) -> list[int]:
    return [item["number"] for item in api.ok(path, body)["result"]]


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errorCode"] == code, response.text


def test_the_snapshot_list_counts_each_kind_of_metadata(api: Api, backed: Backed) -> None:
    snapshot = run(api, backed)
    (listed,) = api.ok("/git/repositories/snapshots", {"id": backed.repo})["result"]
    assert listed["id"] == snapshot
    assert listed["metadata"] == COUNTS
    assert listed["kind"] == "full"
    assert listed["refCount"] > 0
    assert set(listed) == {
        "id",
        "createdAt",
        "kind",
        "sizeBytes",
        "refCount",
        "planId",
        "storageId",
        "parentId",
        "metadata",
    }
    documents = api.ok("/git/repositories/snapshotdocuments", {"id": backed.repo})
    assert documents["snapshotId"] == snapshot
    assert documents["createdAt"] == listed["createdAt"]
    by_name = {d["name"]: d for d in documents["documents"]}
    assert sorted(by_name) == [
        "issue-comments.json",
        "issues.json",
        "labels.json",
        "milestones.json",
        "pull-requests.json",
        "release-assets/21/example.zip",
        "releases.json",
        "review-comments.json",
        "reviews.json",
    ]
    assert by_name["issues.json"]["kind"] == "issues"
    assert by_name["issues.json"]["items"] == 3
    assert by_name["release-assets/21/example.zip"]["kind"] == "releaseAssets"
    assert by_name["release-assets/21/example.zip"]["items"] is None
    assert by_name["release-assets/21/example.zip"]["sizeBytes"] == len(b"PK release archive")
    assert all(d["storedBytes"] > 0 for d in documents["documents"])


def test_issues_are_paged_and_searched(api: Api, backed: Backed) -> None:
    snapshot = run(api, backed)
    page = api.ok("/git/repositories/issues", {"id": backed.repo})
    assert page["snapshotId"] == snapshot
    assert page["totalEntries"] == 3
    assert [i["number"] for i in page["result"]] == [3, 2, 1]  # newest first
    first = page["result"][2]
    assert first == {
        "number": 1,
        "title": "Crash on start",
        "state": "open",
        "author": "alice",
        "labels": ["bug"],
        "createdAt": 1704103200000,
        "updatedAt": 1704110400000,
    }
    issues = "/git/repositories/issues"
    repo = {"id": backed.repo}
    assert _numbers(api, issues, {**repo, "search": "CRASH"}) == [3, 1]
    assert _numbers(api, issues, {**repo, "search": "#2"}) == [2]
    assert _numbers(api, issues, {**repo, "search": "alice"}) == [3, 1]
    eq: Callable[[str, Any], dict[str, Any]] = lambda prop, value: {  # noqa: E731
        **repo,
        "filters": [{"property": prop, "operator": "eq", "value": value}],
    }
    assert _numbers(api, issues, eq("state", "closed")) == [2]
    assert _numbers(api, issues, eq("author", "bob")) == [2]
    assert _numbers(api, issues, eq("label", "bug")) == [3, 1]
    assert _numbers(api, issues, eq("number", 1)) == [1]
    in_list = {**repo, "filters": [{"property": "number", "operator": "in", "value": [1, 2]}]}
    assert _numbers(api, issues, in_list) == [2, 1]
    titled = {**repo, "filters": [{"property": "title", "operator": "startswith", "value": "add"}]}
    assert _numbers(api, issues, titled) == [2]
    assert _numbers(api, issues, {**repo, "orderby": "number"}) == [1, 2, 3]
    assert _numbers(api, issues, {**repo, "orderby": "title", "ordertype": "desc"}) == [3, 1, 2]
    second = api.ok(issues, {**repo, "limit": 1, "page": 2})
    assert [i["number"] for i in second["result"]] == [2]
    assert (second["pageCount"], second["totalEntries"]) == (3, 3)
    assert api.ok(issues, {**repo, "search": "nothing like it"})["totalEntries"] == 0
    unknown = api.post(issues, {**repo, "filters": [{"property": "x", "operator": "eq"}]})
    assert unknown.status_code == 400
    assert "filters.0.property" in unknown.json()["errors"]


def test_one_issue_with_its_conversation(api: Api, backed: Backed) -> None:
    snapshot = run(api, backed)
    detail = api.ok("/git/repositories/issue", {"id": backed.repo, "number": 1})
    assert detail["snapshotId"] == snapshot
    assert detail["summary"]["title"] == "Crash on start"
    assert detail["body"] == "Body of issue 1: Crash on start."
    # The platform's own JSON, as stored.
    assert detail["item"]["node_id"] == "MDU6SXNzdWUx1"
    assert detail["item"]["user"]["login"] == "alice"
    assert [c["id"] for c in detail["comments"]] == [11, 12]
    assert detail["reviews"] == []
    assert detail["reviewComments"] == []
    assert [(e["kind"], e["author"], e["body"]) for e in detail["conversation"]] == [
        ("comment", "bob", "It crashes for me too."),
        ("comment", "carol", "Fixed by #4."),
    ]
    assert detail["conversation"][0]["createdAt"] == 1704114000000


def test_pull_requests_with_reviews_and_review_comments(api: Api, backed: Backed) -> None:
    run(api, backed)
    pulls = "/git/repositories/pullrequests"
    page = api.ok(pulls, {"id": backed.repo})
    assert [(p["number"], p["state"]) for p in page["result"]] == [(5, "open"), (4, "merged")]
    merged = {"property": "state", "operator": "eq", "value": "merged"}
    assert _numbers(api, pulls, {"id": backed.repo, "filters": [merged]}) == [4]
    ui = {"property": "label", "operator": "contains", "value": "UI"}
    assert _numbers(api, pulls, {"id": backed.repo, "filters": [ui]}) == [5]
    detail = api.ok("/git/repositories/pullrequest", {"id": backed.repo, "number": 4})
    assert detail["item"]["head"]["ref"] == "new-topic"
    assert detail["body"] == "Fixes #1."
    assert [c["id"] for c in detail["comments"]] == [13]
    assert [r["id"] for r in detail["reviews"]] == [80]
    assert [c["id"] for c in detail["reviewComments"]] == [77]
    conversation = [
        (e["kind"], e["author"], e["body"], e["state"], e["path"], e["line"])
        for e in detail["conversation"]
    ]
    assert conversation == [
        ("comment", "carol", "Ready for review.", None, None, None),
        ("reviewComment", "dave", "Check for None here.", None, "src/app.py", 10),
        ("review", "dave", "Looks right.", "APPROVED", None, None),
    ]
    # An issue's number is not a pull request's.
    _problem(
        api.post("/git/repositories/pullrequest", {"id": backed.repo, "number": 1}), 404, "GT1010"
    )


def test_releases_with_their_asset_files(api: Api, backed: Backed) -> None:
    run(api, backed)
    page = api.ok("/git/repositories/releases", {"id": backed.repo})
    (listed,) = page["result"]
    assert listed["tag"] == "v1.0"
    assert listed["assets"] == ["example.zip"]
    assert listed["draft"] is False
    search = {"id": backed.repo, "search": "v2"}
    assert api.ok("/git/repositories/releases", search)["totalEntries"] == 0
    detail = api.ok("/git/repositories/release", {"id": backed.repo, "tag": "v1.0"})
    assert detail["item"]["body"] == "Description of the release"
    assert detail["summary"]["assets"] == ["example.zip"]
    _problem(api.post("/git/repositories/release", {"id": backed.repo, "tag": "v9"}), 404, "GT1010")


def test_unknown_snapshots_and_items_are_404_problems(api: Api, backed: Backed) -> None:
    repo = backed.repo
    # No backup yet: the newest snapshot does not exist.
    _problem(api.post("/git/repositories/issues", {"id": repo}), 409, "GT1008")
    snapshot = run(api, backed)
    for path, extra in (
        ("/git/repositories/issues", {}),
        ("/git/repositories/issue", {"number": 1}),
        ("/git/repositories/snapshotdocuments", {}),
    ):
        _problem(api.post(path, {"id": MISSING, **extra}), 404, "GT1001")
        for bad in ("20240101T000000000000Z-000000", "../../../etc", "not-a-snapshot"):
            body = {"id": repo, "snapshotId": bad, **extra}
            _problem(api.post(path, body), 404, "GT1009")
    named = {"id": repo, "snapshotId": snapshot}
    assert api.ok("/git/repositories/issue", {**named, "number": 2})["summary"]["number"] == 2
    _problem(api.post("/git/repositories/issue", {**named, "number": 99}), 404, "GT1010")
    _problem(api.post("/git/repositories/issue", {**named, "number": 4}), 404, "GT1010")


def test_a_viewer_reads_what_a_snapshot_holds(
    api: Api, backed: Backed, make_user: Callable[..., str]
) -> None:
    run(api, backed)
    viewer = make_user("Viewer")
    for path, body in (
        ("/git/repositories/snapshotdocuments", {}),
        ("/git/repositories/issues", {}),
        ("/git/repositories/issue", {"number": 1}),
        ("/git/repositories/pullrequests", {}),
        ("/git/repositories/pullrequest", {"number": 4}),
        ("/git/repositories/releases", {}),
        ("/git/repositories/release", {"tag": "v1.0"}),
    ):
        response = api.post(path, {"id": backed.repo, **body}, token=viewer)
        assert response.status_code == 200, (path, response.text)
    nobody = make_user("UserManagement")
    _problem(api.post("/git/repositories/issues", {"id": backed.repo}, token=nobody), 403, "AU1003")


def test_an_encrypted_plans_documents_are_read_newest_or_named(
    api: Api, github: FakeGitHub, runtime: Runtime, tmp_path: Path
) -> None:
    backed = github_with_metadata(
        api,
        github,
        tmp_path / "git",
        encryptionSettings={"algorithm": 1, "password": "plan-password"},
    )
    first = run(api, backed)
    # Nothing of the metadata is readable in storage.
    stored = [p for p in (runtime.settings.data_dir / "storage").rglob("*") if p.is_file()]
    assert stored
    assert not any(b"Crash on start" in p.read_bytes() for p in stored)
    assert api.ok("/git/repositories/issue", {"id": backed.repo, "number": 3})["body"] == (
        "Body of issue 3: Crash when saving."
    )
    # A second snapshot with a new issue; the first is still readable by its id.
    github.repo_data["acme/app"]["issues"].append(
        {
            **github.repo_data["acme/app"]["issues"][0],
            "id": 1006,
            "number": 6,
            "title": "Slow start",
            "updated_at": "2030-01-01T00:00:00Z",
        }
    )
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(backed.source), str(work))
    git(work, "checkout", "-q", "main")
    commit(work, "more", {"more.txt": b"more\n"})
    git(work, "push", "-q", "origin", "main")
    second = run(api, backed)
    assert second != first
    newest = api.ok("/git/repositories/issues", {"id": backed.repo})
    assert (newest["snapshotId"], newest["totalEntries"]) == (second, 4)
    older = api.ok("/git/repositories/issues", {"id": backed.repo, "snapshotId": first})
    assert (older["snapshotId"], older["totalEntries"]) == (first, 3)
    counts = [
        s["metadata"]["issues"]
        for s in api.ok("/git/repositories/snapshots", {"id": backed.repo})["result"]
    ]
    assert counts == [4, 3]


def test_older_snapshots_without_counts_are_counted_once(
    api: Api, backed: Backed, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A manifest written before counts were recorded: the listing counts the documents by
    reading them, once; later listings remember."""
    snapshot = run(api, backed)
    with runtime.db.session() as session:
        storage = session.scalars(select(Storage).where(Storage.is_default)).one()
    root = Path(storage.settings["path"])
    (manifest,) = root.rglob(f"snapshots/{snapshot}/manifest.json")
    data = json.loads(manifest.read_text())
    del data["content"]["counts"]
    manifest.write_text(json.dumps(data))
    reads: list[str] = []
    original = LocalBackend.get

    def counting(self: LocalBackend, key: str) -> Any:
        if "/meta/" in key:
            reads.append(key)
        return original(self, key)

    monkeypatch.setattr(LocalBackend, "get", counting)
    for _ in range(3):
        (listed,) = api.ok("/git/repositories/snapshots", {"id": backed.repo})["result"]
        assert listed["metadata"] == COUNTS
    # Each JSON document once (the asset file is counted from the manifest alone).
    assert len(reads) == 8
    assert len(set(reads)) == 8
