"""A pull request whose reviews the platform no longer answers (404/410 on its sub-list)
during a backup (issue 13 §1): the other pull requests' reviews are kept, the task log says
which list is missing, and reading the snapshot back shows the gap as no review."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Api
from tests.e2e.flow import wait_tasks
from tests.e2e.metadata import Backed, github_with_metadata
from tests.providers.fake_github import FakeGitHub


@pytest.fixture
def backed(api: Api, github: FakeGitHub, tmp_path: Path) -> Backed:
    backed = github_with_metadata(api, github, tmp_path / "git")
    del github.repo_data["acme/app"]["pulls/5/reviews"]  # GitHub answers it 404/410 now
    return backed


def test_one_missing_sub_list_keeps_the_others_and_says_so(api: Api, backed: Backed) -> None:
    (task,) = wait_tasks(api, api.ok("/plans/run", {"id": backed.plan, "kind": 1})["taskIds"])
    assert task["status"] == 2, task["logs"]  # succeeded with warnings
    warnings = [line["message"] for line in task["logs"] if line["level"] == "warning"]
    assert any("pull request reviews of 5 not exported" in w for w in warnings), warnings
    (listed,) = api.ok("/git/repositories/snapshots", {"id": backed.repo})["result"]
    assert listed["metadata"]["reviews"] == 1  # the gap record is not counted as a review
    kept = api.ok("/git/repositories/pullrequest", {"id": backed.repo, "number": 4})
    assert [r["id"] for r in kept["reviews"]] == [80]
    missing = api.ok("/git/repositories/pullrequest", {"id": backed.repo, "number": 5})
    assert missing["reviews"] == []
    assert all(e["kind"] != "review" for e in missing["conversation"])
