"""Issue 12 §3: Azure DevOps as a restore target. The GitHub snapshot of platform_world
restored into the fake Azure DevOps organization, compared item by item for what Azure holds
(git refs, issues as work items with their state, labels as tags, comments; the pull request
whose branches exist, its thread); milestones and releases it cannot hold are counted by the
dry run in `cannotMap`."""

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
from tests.providers.fake_azure_writable import AGILE, WritableAzure
from tests.runner.platform_world import (
    PULL_LABEL,
    TOKEN,
    git,
    make_snapshot,
    record_of,
    source_data,
    source_thread,
    without_author,
)


def restore_into_azure(
    azure: WritableAzure,
    snapshot: tuple[Vault, Manifest],
    record: Any,
    name: str = "app",
    dry_run: bool = False,
) -> None:
    access = Access(4, "acme", azure.api_url, None, TOKEN)
    wanted = Wanted(name=name, description="restored", private=True, dry_run=dry_run)
    with httpx.Client() as client:
        restore_into(writer_for(access, client), *snapshot, wanted, record)


def with_pull_comment() -> dict[str, Any]:
    """source_data() with a comment on the open pull request #5."""
    data = source_data()
    data["issues/comments"].append(_comment(14, 5, "Needs a test.", "dave", "2024-01-08T10:00:00Z"))
    return data


def compare_into_azure(
    azure: WritableAzure,
    source_git: Path,
    project: str,
    states: tuple[str, str] = ("To Do", "Done"),
) -> None:
    """Numbers 1..5 are the work items tagged `restored:app`, in id order; the open pull
    request #5 is Azure's pull request !7 (its branches exist), work item 5 points to it."""
    repo = azure.state[f"{project}/app"]
    refs = dict(
        line.split(" ", 1)
        for line in git(source_git, "for-each-ref", "--format=%(refname) %(objectname)").split("\n")
    )
    kept = {r: o for r, o in refs.items() if r.startswith(("refs/heads/", "refs/tags/"))}
    assert repo.refs() == kept
    assert repo.head() == "main"
    data = with_pull_comment()
    items = sorted(azure.azure.work_items.values(), key=lambda i: i["id"])
    assert [i["fields"]["System.TeamProject"] for i in items] == [project] * 5
    fields = [i["fields"] for i in items]
    new, closed = states
    assert [f["System.State"] for f in fields] == [new, closed, new, closed, closed]
    comments = azure.azure.comments
    for source in data["issues"]:
        if "pull_request" in source:
            continue
        item = items[source["number"] - 1]
        got = item["fields"]
        assert got["System.Title"] == source["title"]
        assert without_author(got["System.Description"]) == source["body"]
        names = [label["name"] for label in source["labels"]]
        assert got["System.Tags"] == "; ".join(["restored:app", *names])
        posted = [without_author(c["text"]) for c in comments.get(item["id"], [])]
        assert posted == source_thread(data, source["number"])
    merged, open_one = data["pulls"]
    as_issue = fields[3]  # its head branch is gone: an issue saying it was a pull request
    assert as_issue["System.Title"] == merged["title"]
    assert as_issue["System.Tags"] == f"restored:app; bug; {PULL_LABEL}"
    assert "Pull request #4 of the original repository" in as_issue["System.Description"]
    posted = [without_author(c["text"]) for c in comments[items[3]["id"]]]
    assert posted == source_thread(data, 4)
    (pull,) = repo.pulls
    assert (pull["pullRequestId"], pull["title"], pull["status"], pull["isDraft"]) == (
        7,
        open_one["title"],
        "active",
        True,
    )
    assert (pull["sourceRefName"], pull["targetRefName"]) == (
        "refs/heads/feature",
        "refs/heads/main",
    )
    assert without_author(pull["description"]) == open_one["body"]
    assert fields[4]["System.Description"].startswith("Restored pull request: see pull request !7.")
    # #5's thread is the pull request's: the pointer work item has none
    threads = repo.threads[7]
    assert [without_author(t["comments"][0]["content"]) for t in threads] == ["Needs a test."]
    assert items[4]["id"] not in comments


def test_a_github_snapshot_into_azure_after_a_dry_run_then_a_rerun(tmp_path: Path) -> None:
    snapshot = make_snapshot(tmp_path, with_pull_comment())
    with WritableAzure(tmp_path / "azure", token=TOKEN, projects=["Beta", "Alpha"]) as azure:
        record, _ = record_of()
        restore_into_azure(azure, snapshot, record, dry_run=True)
        assert azure.writes == []
        counts = record.result["dryRun"]
        wanted = {
            "repository": "create",
            "labels": 0,
            "milestones": 0,
            "issues": 3,
            "pullRequests": 1,
            "pullRequestsAsIssues": 1,
            "releases": 0,
            "cannotMap": {"milestones": 1, "releases": 1},  # labels go as tags
        }
        assert {key: counts[key] for key in wanted} == wanted
        record, lines = record_of()
        restore_into_azure(azure, snapshot, record)  # a plain name: the first project
        assert not [line for line in lines if line[0] == "warning"], lines
        compare_into_azure(azure, tmp_path / "source.git", "Alpha")
        assert record.result["created"]["issues"] == {str(n): n for n in range(1, 6)}
        writes = [w for w in azure.writes if not w.endswith("/wiql")]
        again, _ = record_of(previous=dict(record.result))
        restore_into_azure(azure, snapshot, again)
        default_branch = f"PATCH /acme/Alpha/_apis/git/repositories/{azure.state['Alpha/app'].id}"
        assert [w for w in azure.writes if not w.endswith("/wiql")] == [*writes, default_branch]
        compare_into_azure(azure, tmp_path / "source.git", "Alpha")
        record, _ = record_of()  # `project/name` names the project
        restore_into_azure(azure, snapshot, record, name="Beta/app", dry_run=True)
        assert record.result["dryRun"]["repository"] == "create"


def test_a_process_without_done_closes_with_closed(tmp_path: Path) -> None:
    """The Agile process's Issue has no `Done` state: a closed one ends `Closed`."""
    snapshot = make_snapshot(tmp_path, with_pull_comment())
    with WritableAzure(tmp_path / "azure", token=TOKEN, projects=["P"], states=AGILE) as azure:
        record, lines = record_of()
        restore_into_azure(azure, snapshot, record, name="P/app")
        assert not [line for line in lines if line[0] == "warning"], lines
        compare_into_azure(azure, tmp_path / "source.git", "P", ("Active", "Closed"))
