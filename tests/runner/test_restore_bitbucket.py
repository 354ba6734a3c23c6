"""Issue 12 §3: Bitbucket Cloud as a restore target. The GitHub snapshot of platform_world
restored into the fake Bitbucket, compared item by item for what Bitbucket holds (git refs,
issues with their state, kind and comments, the pull request whose branches exist); labels,
milestones and releases it cannot make are counted by the dry run in `cannotMap`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.writes import writer_for
from repovault.runner.restore_platform import Wanted, restore_into
from tests.e2e.metadata import _comment
from tests.providers.fake_bitbucket_writable import Repo, WritableBitbucket
from tests.runner.platform_world import (
    TOKEN,
    git,
    make_snapshot,
    record_of,
    source_data,
    source_thread,
    without_author,
)

USER = "restorer"


def restore_into_bitbucket(
    bitbucket: WritableBitbucket,
    snapshot: tuple[Vault, Manifest],
    record: Any,
    dry_run: bool = False,
) -> None:
    access = Access(2, "acme", bitbucket.api_url, USER, TOKEN)  # an app password
    wanted = Wanted(name="app", description="restored", private=True, dry_run=dry_run)
    with httpx.Client() as client:
        restore_into(writer_for(access, client), *snapshot, wanted, record)


def with_pull_comment() -> dict[str, Any]:
    """source_data() with a comment on the open pull request #5."""
    data = source_data()
    data["issues/comments"].append(_comment(14, 5, "Needs a test.", "dave", "2024-01-08T10:00:00Z"))
    return data


def thread(repo: Repo, kind: str, number: int) -> list[str]:
    return [c["content"]["raw"] for c in repo.comments.get((kind, number), [])]


def compare_into_bitbucket(bitbucket: WritableBitbucket, source_git: Path) -> None:
    """Numbers 1..5 are issues #1..#5; the open pull request #5 is Bitbucket's pull request
    #1 (its branches exist), issue #5 a resolved one pointing to it."""
    repo = bitbucket.state["acme/app"]
    refs = dict(
        line.split(" ", 1)
        for line in git(source_git, "for-each-ref", "--format=%(refname) %(objectname)").split("\n")
    )
    assert repo.refs() == {
        r: o for r, o in refs.items() if r.startswith(("refs/heads/", "refs/tags/"))
    }
    assert repo.head() == "main"
    assert (repo.private, repo.description, repo.has_issues) == (True, "restored", True)
    data = with_pull_comment()
    issues = {i["id"]: i for i in repo.issues}
    assert sorted(issues) == [1, 2, 3, 4, 5]
    wanted_states = {1: "new", 2: "wontfix", 3: "new", 4: "resolved", 5: "resolved"}
    assert {n: i["state"] for n, i in issues.items()} == wanted_states
    for source in data["issues"]:
        if "pull_request" in source:
            continue
        got = issues[source["number"]]
        assert got["title"] == source["title"]
        assert without_author(got["content"]["raw"]) == source["body"]
        names = [label["name"] for label in source["labels"]]
        assert got["kind"] == ("enhancement" if "enhancement" in names else "bug")
        posted = [without_author(b) for b in thread(repo, "issues", got["id"])]
        assert posted == source_thread(data, source["number"])
    merged, open_one = data["pulls"]
    as_issue = issues[4]  # its head branch is gone: an issue saying it was a pull request
    assert as_issue["title"] == merged["title"]
    assert "Pull request #4 of the original repository" in as_issue["content"]["raw"]
    assert [without_author(b) for b in thread(repo, "issues", 4)] == source_thread(data, 4)
    (pull,) = repo.pulls
    assert (pull["id"], pull["title"], pull["state"]) == (1, open_one["title"], "OPEN")
    assert (pull["source"]["branch"]["name"], pull["destination"]["branch"]["name"]) == (
        "feature",
        "main",
    )
    assert without_author(pull["description"]) == open_one["body"]
    assert issues[5]["content"]["raw"].startswith("Restored pull request: see pull request #1.")
    # #5's thread is the pull request's: the pointer issue has none
    assert [without_author(b) for b in thread(repo, "pullrequests", 1)] == ["Needs a test."]
    assert thread(repo, "issues", 5) == []


def test_a_github_snapshot_into_bitbucket_after_a_dry_run_then_a_rerun(tmp_path: Path) -> None:
    snapshot = make_snapshot(tmp_path, with_pull_comment())
    with WritableBitbucket(tmp_path / "bitbucket", user=USER, password=TOKEN) as bitbucket:
        record, _ = record_of()
        restore_into_bitbucket(bitbucket, snapshot, record, dry_run=True)
        assert bitbucket.writes == []
        counts = record.result["dryRun"]
        wanted = {
            "repository": "create",
            "labels": 0,
            "milestones": 0,
            "issues": 3,
            "pullRequests": 1,
            "pullRequestsAsIssues": 1,
            "placeholders": 0,
            "releases": 0,
            "releaseAssets": 0,
            "cannotMap": {"labels": 3, "milestones": 1, "releases": 1},
        }
        assert {key: counts[key] for key in wanted} == wanted
        record, lines = record_of()
        restore_into_bitbucket(bitbucket, snapshot, record)
        assert not [line for line in lines if line[0] == "warning"], lines
        compare_into_bitbucket(bitbucket, tmp_path / "source.git")
        assert record.result["created"]["issues"] == {str(n): n for n in range(1, 6)}
        writes = list(bitbucket.writes)
        again, _ = record_of(previous=dict(record.result))
        restore_into_bitbucket(bitbucket, snapshot, again)
        assert bitbucket.writes == [*writes, "PUT /repositories/acme/app"]  # the default branch
        compare_into_bitbucket(bitbucket, tmp_path / "source.git")
