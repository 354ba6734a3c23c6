"""Issue 12 §3: GitLab in a platform restore. A GitLab-shaped snapshot (the normal backup
of the fake GitLab) restored into the GitHub and Gitea fakes, compared item by item modulo
ids and the author line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.writes import writer_for
from repovault.runner.restore_platform import Wanted, restore_into
from tests.providers.fake_writable import WritablePlatform
from tests.runner.gitlab_world import gitlab_data, make_gitlab_snapshot
from tests.runner.platform_world import (
    ASSET,
    PULL_LABEL,
    TOKEN,
    compare_refs,
    creations,
    record_of,
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
