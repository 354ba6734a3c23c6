"""Issue 12 §3: Bitbucket Cloud and Azure DevOps as restore sources. A Bitbucket-shaped
snapshot restored into the GitHub fake, an Azure DevOps one into the Gitea fake (each the
normal backup of its platform's fake), compared item by item modulo ids and the author
line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.writes import readable, writer_for
from repovault.runner.restore_platform import Wanted, restore_into
from tests.providers.fake_writable import WritablePlatform
from tests.runner.other_world import (
    azure_data,
    bitbucket_data,
    make_azure_snapshot,
    make_bitbucket_snapshot,
)
from tests.runner.platform_world import (
    PULL_LABEL,
    TOKEN,
    compare_refs,
    creations,
    record_of,
    without_author,
)


def _restore(
    platform: WritablePlatform, snapshot: tuple[Vault, Manifest], record: Any, source: int
) -> None:
    driver = 5 if platform.platform.gitea else 1
    access = Access(driver, "acme", platform.api_url, None, TOKEN)
    wanted = Wanted(name="app", description="restored", private=True, source_driver=source)
    with httpx.Client() as client:
        restore_into(writer_for(access, client), *snapshot, wanted, record)


def _restored_twice(
    platform: WritablePlatform, snapshot: tuple[Vault, Manifest], source: int
) -> None:
    record, lines = record_of()
    _restore(platform, snapshot, record, source)
    assert not [line for line in lines if line[0] == "warning"], lines
    posts = creations(platform)
    again, _ = record_of(previous=dict(record.result))
    _restore(platform, snapshot, again, source)
    assert creations(platform) == posts  # a rerun creates nothing twice


def _merged_thread(posted: list[str], reviewer: str) -> None:
    """The thread of the merged pull request (an issue now): its comment, its comment on a
    line, in order."""
    assert without_author(posted[0]) == "Looks right."
    assert "`src/app.py:10`" in posted[1].partition("\n")[0]
    assert f"@{reviewer}" in posted[1].partition("\n")[0]
    assert posted[1].endswith("Check first.")
    assert len(posted) == 2


def test_a_bitbucket_snapshot_into_github(tmp_path: Path) -> None:
    """Issues keep their numbers (#3 a placeholder); pull requests #1 and #2 are #5 and #6."""
    snapshot = make_bitbucket_snapshot(tmp_path)
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        _restored_twice(platform, snapshot, 2)
        compare_refs(platform, tmp_path / "source.git")
        target = platform.state["acme/app"]
    data = bitbucket_data()
    restored = {issue["number"]: issue for issue in target.issues}
    assert sorted(restored) == [1, 2, 3, 4, 5, 6]
    for item in data["issues"]:
        got = restored[item["id"]]
        state = "open" if item["state"] in ("new", "open") else "closed"
        assert (got["title"], got["state"]) == (item["title"], state)
        assert without_author(got["body"]) == item["content"]["raw"]
        component = [item["component"]["name"]] if item["component"] else []
        wanted = [item["kind"], item["priority"], *component]
        assert [label["name"] for label in got["labels"]] == wanted
    assert restored[1]["milestone"]["title"] == "1.0"
    assert restored[2]["milestone"] is None
    assert restored[1]["body"].startswith("_Originally opened by @alice at 2024-01-01T10:00")
    assert (restored[3]["title"], restored[3]["state"]) == ("Placeholder for #3", "closed")
    comments = [c["content"]["raw"] for c in data["issues/1/comments"]]
    assert [without_author(c["body"]) for c in target.comments[1]] == comments
    assert target.comments[1][0]["body"].startswith("_Originally posted by @bob at ")
    merged = restored[5]
    assert (merged["title"], merged["state"]) == ("Fix the crash", "closed")
    assert [label["name"] for label in merged["labels"]] == [PULL_LABEL]
    assert "Pull request #1 of the original Bitbucket repository." in merged["body"]
    assert merged["body"].rstrip().endswith("The text of Fix the crash.")
    _merged_thread([c["body"] for c in target.comments[5]], "dave")
    assert sorted(target.pulls) == [6]
    pull = target.pulls[6]
    assert (pull["title"], pull["state"], pull["head"]["ref"], pull["base"]["ref"]) == (
        "Add a feature",
        "open",
        "feature",
        "main",
    )
    assert "Pull request #2 of the original Bitbucket repository." in pull["body"]
    labels = [label["name"] for label in target.labels]
    assert labels == ["bug", "major", "ui", "task", "minor", PULL_LABEL]
    assert [m["title"] for m in target.milestones] == ["1.0"]
    assert target.releases == []


def test_an_azure_snapshot_into_gitea(tmp_path: Path) -> None:
    """Pull requests !40 and !42 (ids of the organization) are #1 and #2, no placeholder;
    the system comment is left out; the comment on a line names its file and line."""
    snapshot = make_azure_snapshot(tmp_path)
    with WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        _restored_twice(platform, snapshot, 4)
        compare_refs(platform, tmp_path / "source.git")
        target = platform.state["acme/app"]
    data = azure_data()
    restored = {issue["number"]: issue for issue in target.issues}
    assert sorted(restored) == [1, 2]
    merged = restored[1]
    assert (merged["title"], merged["state"]) == ("Fix the crash", "closed")
    assert [label["name"] for label in merged["labels"]] == [PULL_LABEL]
    assert merged["body"].startswith("_Originally opened by @erin@fabrikam.com at 2024-01-04")
    assert "Pull request !40 of the original Azure DevOps repository." in merged["body"]
    assert merged["body"].rstrip().endswith(data["pullrequests"][1]["description"])
    _merged_thread([c["body"] for c in target.comments[1]], "dave@fabrikam.com")
    assert sorted(target.pulls) == [2]
    pull = target.pulls[2]
    assert (pull["title"], pull["state"], pull["head"]["ref"], pull["base"]["ref"]) == (
        "Add a feature",
        "open",
        "feature",
        "main",
    )
    assert without_author(pull["body"]) == (
        "Pull request !42 of the original Azure DevOps repository.\n\nThe text of Add a feature."
    )
    assert [label["name"] for label in target.labels] == ["ui", PULL_LABEL]


def test_which_sources_a_restore_reads() -> None:
    """Every driver 1-5 but Bitbucket Data Center (a Bitbucket with its own API) and plain Git."""
    assert all(readable(driver, None) for driver in (1, 2, 3, 4, 5))
    assert readable(2, "https://api.bitbucket.org/2.0")
    assert not readable(2, "https://bitbucket.example.com")
    assert not readable(6, None)
