"""Issue 12 §3: GitLab in a platform restore. A GitLab-shaped snapshot (the normal backup
of the fake GitLab) restored into the GitHub and Gitea fakes, compared item by item modulo
ids and the author line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.writes import writer_for
from repovault.runner.restore_platform import Wanted, restore_into
from tests.e2e.metadata import _comment
from tests.providers.fake_github import release
from tests.providers.fake_gitlab_writable import Project, WritableGitLab
from tests.providers.fake_writable import WritablePlatform
from tests.runner.gitlab_world import gitlab_data, make_gitlab_snapshot
from tests.runner.platform_world import (
    ASSET,
    PULL_LABEL,
    TOKEN,
    compare_refs,
    creations,
    git,
    make_snapshot,
    record_of,
    source_data,
    source_thread,
    without_author,
)


def restore_gitlab(
    platform: WritablePlatform, snapshot: tuple[Vault, Manifest], record: Any
) -> None:
    driver = 5 if platform.platform.gitea else 1
    access = Access(driver, "acme", platform.api_url, None, TOKEN)
    wanted = Wanted(name="app", description="restored", private=True, source_driver=3)
    with httpx.Client() as client:
        restore_into(writer_for(access, client), *snapshot, wanted, record)


def compare_from_gitlab(platform: WritablePlatform, source_git: Path) -> None:
    """Issues keep their numbers, #3 (deleted) a placeholder; !1 and !2 are #5 and #6."""
    compare_refs(platform, source_git)
    target = platform.state["acme/app"]
    data = gitlab_data()
    restored = {issue["number"]: issue for issue in target.issues}
    assert sorted(restored) == [1, 2, 3, 4, 5, 6]
    for item in data["issues"]:
        got = restored[item["iid"]]
        state = "open" if item["state"] == "opened" else "closed"
        assert (got["title"], got["state"]) == (item["title"], state)
        assert without_author(got["body"]) == item["description"]
        assert [label["name"] for label in got["labels"]] == item["labels"]
    assert restored[1]["milestone"]["title"] == "1.0"
    assert restored[1]["body"].startswith("_Originally opened by @alice at 2024-01-01T10:00:00Z_")
    assert (restored[3]["title"], restored[3]["state"]) == ("Placeholder for #3", "closed")
    # The system note is left out; the others in order.
    notes = [n["body"] for n in data["issues/1/notes"] if not n["system"]]
    assert [without_author(c["body"]) for c in target.comments[1]] == notes
    assert target.comments[1][0]["body"].startswith("_Originally posted by @bob at ")
    # !1, merged from a deleted branch: an issue labelled as a restored pull request, with
    # its note, its note on a line and its approval.
    merged = restored[5]
    assert (merged["title"], merged["state"]) == ("Fix the crash", "closed")
    assert [label["name"] for label in merged["labels"]] == ["bug", PULL_LABEL]
    assert "Merge request !1 of the original project." in merged["body"]
    assert "merged by @erin at 2024-01-06T09:00:00Z" in merged["body"]
    posted = [c["body"] for c in target.comments[5]]
    assert without_author(posted[0]) == "Looks right."
    assert "`src/app.py:10`" in posted[1].partition("\n")[0]
    assert posted[1].endswith("Check first.")
    assert posted[2].startswith("_Originally reviewed by @dave at 2024-01-05T12:00:00Z: approved_")
    assert len(posted) == 3
    # !2, open, both branches in the snapshot: a pull request again.
    assert sorted(target.pulls) == [6]
    pull = target.pulls[6]
    assert (pull["title"], pull["state"], pull["head"]["ref"], pull["base"]["ref"]) == (
        "Add a feature",
        "open",
        "feature",
        "main",
    )
    labels = {label["name"]: label for label in target.labels}
    assert list(labels) == ["bug", "docs", PULL_LABEL]
    assert labels["bug"]["description"] == "Something broken"
    assert labels["docs"]["color"].lstrip("#").lower() == "428bca"
    (milestone,) = target.milestones
    assert (milestone["title"], milestone["description"], milestone["due_on"]) == (
        "1.0",
        "The first one",
        "2024-06-01T00:00:00Z",
    )
    (release,) = target.releases
    assert (release["tag_name"], release["name"]) == ("v1.0", "One")
    assert without_author(release["body"]).startswith("The first release.")
    assert [(a["name"], target.assets[a["id"]]) for a in release["assets"]] == [("app.zip", ASSET)]


@pytest.mark.parametrize("gitea", [False, True], ids=["github", "gitea"])
def test_a_gitlab_snapshot_into_github_and_gitea(tmp_path: Path, gitea: bool) -> None:
    snapshot = make_gitlab_snapshot(tmp_path)
    with WritablePlatform(tmp_path / "target", gitea=gitea, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, lines = record_of()
        restore_gitlab(platform, snapshot, record)
        compare_from_gitlab(platform, tmp_path / "source.git")
        assert not [line for line in lines if line[0] == "warning"], lines
        posts = creations(platform)
        again, _ = record_of(previous=dict(record.result))
        restore_gitlab(platform, snapshot, again)
        assert creations(platform) == posts  # a rerun creates nothing twice


def restore_into_gitlab(
    gitlab: WritableGitLab,
    snapshot: tuple[Vault, Manifest],
    record: Any,
    source_driver: int = 1,
    dry_run: bool = False,
) -> None:
    access = Access(3, "acme", gitlab.api_url, None, TOKEN)
    wanted = Wanted(
        name="app",
        description="restored",
        private=True,
        source_driver=source_driver,
        dry_run=dry_run,
    )
    with httpx.Client() as client:
        restore_into(writer_for(access, client), *snapshot, wanted, record)


def notes(project: Project, kind: str, iid: int) -> list[str]:
    return [n["body"] for n in project.notes.get((kind, iid), []) if not n["system"]]


def with_mr_comment() -> dict[str, Any]:
    """source_data() with a comment on the open pull request #5 (a merge request on GitLab)."""
    data = source_data()
    data["issues/comments"].append(_comment(14, 5, "Needs a test.", "dave", "2024-01-08T10:00:00Z"))
    return data


def compare_into_gitlab(gitlab: WritableGitLab, source_git: Path) -> None:
    """The GitHub snapshot in GitLab: numbers 1..5 are issues #1..#5; the open pull request
    #5 is merge request !1 (its branches exist), #5 a closed issue pointing to it."""
    project = gitlab.state["acme/app"]
    refs = dict(
        line.split(" ", 1)
        for line in git(source_git, "for-each-ref", "--format=%(refname) %(objectname)").split("\n")
    )
    assert project.refs() == {
        r: o for r, o in refs.items() if r.startswith(("refs/heads/", "refs/tags/"))
    }
    assert project.head() == "main"
    data = with_mr_comment()
    issues = {i["iid"]: i for i in project.issues}
    assert sorted(issues) == [1, 2, 3, 4, 5]
    for source in data["issues"]:
        if "pull_request" in source:
            continue
        got = issues[source["number"]]
        assert (got["title"], got["state"]) == (
            source["title"],
            "opened" if source["state"] == "open" else "closed",
        )
        assert without_author(got["description"]) == source["body"]
        assert got["labels"] == [label["name"] for label in source["labels"]]
        assert (got["milestone"] or {}).get("title") == (source["milestone"] or {}).get("title")
        assert [without_author(b) for b in notes(project, "issues", got["iid"])] == source_thread(
            data, source["number"]
        )
    merged, open_one = data["pulls"]
    as_issue = issues[4]  # its head branch is gone: an issue labelled as a pull request
    assert (as_issue["title"], as_issue["state"]) == (merged["title"], "closed")
    assert as_issue["labels"] == ["bug", PULL_LABEL]
    posted = notes(project, "issues", 4)
    assert [without_author(b) for b in posted] == source_thread(data, 4)
    (merge,) = project.merge_requests
    assert (merge["iid"], merge["title"], merge["state"]) == (
        1,
        "Draft: " + open_one["title"],
        "opened",
    )
    assert (merge["source_branch"], merge["target_branch"], merge["labels"]) == (
        "feature",
        "main",
        ["ui"],
    )
    assert without_author(merge["description"]) == open_one["body"]
    pointer = issues[5]
    assert pointer["state"] == "closed"
    assert pointer["description"].startswith("Restored pull request: see !1.")
    # #5's thread is the merge request's: the pointer issue has none
    assert [without_author(b) for b in notes(project, "merge_requests", 1)] == ["Needs a test."]
    assert notes(project, "issues", 5) == []
    labels = {label["name"]: label for label in project.labels}
    assert list(labels) == ["bug", "enhancement", "ui", PULL_LABEL]
    assert all(re.fullmatch(r"#[0-9a-fA-F]{6}", label["color"]) for label in labels.values())
    assert [(m["iid"], m["title"]) for m in project.milestones] == [(1, "1.0")]
    (release,) = project.releases
    (source_release,) = data["releases"]
    assert (release["tag_name"], release["name"]) == ("v1.0", source_release["name"])
    assert without_author(release["description"]) == source_release["body"]
    (link,) = release["assets"]["links"]
    assert link["name"] == "example.zip"
    assert link["url"].startswith(gitlab.gitlab.base + f"/-/project/{project.id}/uploads/")
    assert project.uploads[link["url"].removeprefix(gitlab.gitlab.base)] == ASSET


def test_a_github_snapshot_into_gitlab_then_a_rerun_creates_nothing_twice(tmp_path: Path) -> None:
    snapshot = make_snapshot(tmp_path, with_mr_comment())
    with WritableGitLab(tmp_path / "gitlab", token=TOKEN) as gitlab:
        record, lines = record_of()
        restore_into_gitlab(gitlab, snapshot, record)
        compare_into_gitlab(gitlab, tmp_path / "source.git")
        assert not [line for line in lines if line[0] == "warning"], lines
        assert record.result["created"]["issues"] == {str(n): n for n in range(1, 6)}
        writes = list(gitlab.gitlab.writes)
        again, _ = record_of(previous=dict(record.result))
        restore_into_gitlab(gitlab, snapshot, again)
        assert gitlab.gitlab.writes == [*writes, "PUT /projects/acme%2Fapp"]  # the default branch
        compare_into_gitlab(gitlab, tmp_path / "source.git")


def test_a_gitlab_snapshot_into_gitlab_after_a_dry_run(tmp_path: Path) -> None:
    snapshot = make_gitlab_snapshot(tmp_path)
    with WritableGitLab(tmp_path / "gitlab", token=TOKEN) as gitlab:
        record, _ = record_of()
        restore_into_gitlab(gitlab, snapshot, record, source_driver=3, dry_run=True)
        counts = record.result["dryRun"]
        assert gitlab.gitlab.writes == []
        wanted = {
            "repository": "create",
            "labels": 2,
            "milestones": 1,
            "issues": 3,
            "pullRequests": 1,
            "pullRequestsAsIssues": 1,
            "placeholders": 1,
            "comments": 3,
            "reviews": 1,
            "reviewComments": 1,
            "releases": 1,
            "releaseAssets": 1,
        }
        assert {key: counts[key] for key in wanted} == wanted
        record, lines = record_of()
        restore_into_gitlab(gitlab, snapshot, record, source_driver=3)
        assert not [line for line in lines if line[0] == "warning"], lines
        project = gitlab.state["acme/app"]
        issues = {i["iid"]: i for i in project.issues}
        assert [(n, issues[n]["title"], issues[n]["state"]) for n in sorted(issues)] == [
            (1, "It crashes", "opened"),
            (2, "Typo", "closed"),
            (3, "Placeholder for #3", "closed"),
            (4, "Slow start", "opened"),
            (5, "Fix the crash", "closed"),  # !1, merged from a deleted branch
            (6, "Add a feature", "closed"),  # !2's number, pointing to the merge request
        ]
        assert issues[1]["milestone"]["title"] == "1.0"
        assert [without_author(b) for b in notes(project, "issues", 1)] == [
            "Seen it too.",
            "Fixed by !1.",
        ]
        assert len(notes(project, "issues", 5)) == 3  # a note, a note on a line, an approval
        assert issues[5]["labels"] == ["bug", PULL_LABEL]
        (merge,) = project.merge_requests
        assert (merge["title"], merge["state"], merge["source_branch"]) == (
            "Draft: Add a feature",
            "opened",
            "feature",
        )
        assert issues[6]["description"].startswith("Restored pull request: see !1.")
        (milestone,) = project.milestones
        assert (milestone["title"], milestone["due_date"]) == ("1.0", "2024-06-01")
        (release,) = project.releases
        (link,) = release["assets"]["links"]
        assert link["name"] == "app.zip"
        assert project.uploads[link["url"].removeprefix(gitlab.gitlab.base)] == ASSET


def test_drafts_into_gitlab_which_has_none(tmp_path: Path) -> None:
    """A draft release whose tag is in the snapshot becomes a release saying it was a draft;
    one whose tag is not (GitHub makes a draft's tag when it is published) is skipped, and
    a dry run counts it as one that cannot map."""
    data = source_data()
    with_tag, without = (release(30, "v1.0"), release(31, "v9.9"))
    data["releases"] = [with_tag, without]
    for draft in data["releases"]:
        draft.update(draft=True, assets=[])
    snapshot = make_snapshot(tmp_path, data)
    with WritableGitLab(tmp_path / "gitlab", token=TOKEN) as gitlab:
        record, _ = record_of()
        restore_into_gitlab(gitlab, snapshot, record, dry_run=True)
        assert record.result["dryRun"]["cannotMap"] == {"releases": 1}
        record, lines = record_of()
        restore_into_gitlab(gitlab, snapshot, record)
        (made,) = gitlab.state["acme/app"].releases
        assert made["tag_name"] == "v1.0"
        assert made["description"].startswith("_A draft release in the original repository._")
        skipped = "release v9.9: its tag is not in the snapshot: skipped"
        assert ("warning", skipped) in lines
