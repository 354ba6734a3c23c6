"""Issue 12 §3: a snapshot restored into an organization of a platform (a write-capable
fake GitHub or Gitea on 127.0.0.1 with `git http-backend` behind it), compared item by item
with its source (tests/runner/platform_world.py)."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from repovault.engine import git as g
from repovault.engine.backup import backup
from repovault.engine.layout import wiki_prefix
from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.organizations.models import Organization
from repovault.plans.models import Plan
from repovault.providers.base import Access
from repovault.providers.writes import writer_for
from repovault.runner.execute import Job, JobFailed
from repovault.runner.restore_platform import Wanted, restore_into, run_platform_restore
from repovault.runtime import Runtime
from repovault.tasks.models import Task
from tests.api.world import build_world
from tests.conftest import Api
from tests.providers.fake_writable import WritablePlatform
from tests.runner.platform_world import (
    PULL_LABEL,
    TOKEN,
    compare,
    creations,
    git,
    make_snapshot,
    record_of,
    restore,
    source_data,
    without_author,
)


@pytest.mark.parametrize("gitea", [False, True], ids=["github", "gitea"])
def test_round_trip_then_a_rerun_creates_nothing_twice(
    tmp_path: Path, snapshot: tuple[Vault, Manifest], gitea: bool
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=gitea, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, lines = record_of()
        restore(platform, snapshot, record)
        compare(platform, tmp_path / "source.git")
        assert record.result["created"]["issues"] == {str(n): n for n in range(1, 6)}
        assert not [line for line in lines if line[0] == "warning"]
        assert ("info", "created 3 labels (the rest was on the target already)") in lines
        assert ("info", f"created the label {PULL_LABEL!r}") in lines
        told = (
            "created 3 issues, 1 pull requests, 1 pull requests as issues, 0 placeholders, "
            "3 comments, 1 reviews, 1 review comments (the rest was on the target already)"
        )
        assert ("info", told) in lines
        told = "created 1 releases, 1 release files (the rest was on the target already)"
        assert ("info", told) in lines
        assert ("info", "the snapshot has no wiki: none restored") in lines
        posts = creations(platform)
        # 1 repository, 4 labels, 1 milestone, 3 issues, 1 pull request, 1 issue for a pull
        # request, 5 comments (3 comments, a review, a review comment), 1 release, 1 file
        assert len(posts) == 18
        patches = [w.split(" ", 1)[1] for w in platform.platform.writes if w.startswith("PATCH")]
        if gitea:  # issues created closed, labels given with the pull request: no PATCH
            assert patches == ["/repos/acme/app"]
        else:  # #5's label through its issue; #2 and #4 closed by one GraphQL request
            assert patches == ["/repos/acme/app", "/repos/acme/app/issues/5"]
            assert platform.platform.writes.count("POST /graphql") == 1

        # The same task again (after a crash, say): nothing created twice.
        again, told_again = record_of(previous=dict(record.result))
        restore(platform, snapshot, again)
        assert creations(platform) == posts
        nothing = (
            "created 0 issues, 0 pull requests, 0 pull requests as issues, 0 placeholders, "
            "0 comments, 0 reviews, 0 review comments (the rest was on the target already)"
        )
        assert ("info", nothing) in told_again
        nothing = "created 0 releases, 0 release files (the rest was on the target already)"
        assert ("info", nothing) in told_again
        compare(platform, tmp_path / "source.git")

        # A new task with overwrite: matched on the target, still nothing twice.
        overwrite, _ = record_of()
        restore(platform, snapshot, overwrite, overwrite=True)
        assert creations(platform) == posts


def test_a_dry_run_counts_and_writes_nothing(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN) as platform:
        record, _ = record_of()
        restore(platform, snapshot, record, dry_run=True)
        assert platform.platform.writes == []
        assert platform.state == {}
        assert record.result["dryRun"] == {
            "repository": "create",
            "targetEmpty": True,
            "refs": 3,
            "labels": 3,
            "milestones": 1,
            "issues": 3,
            "pullRequests": 1,
            "pullRequestsAsIssues": 1,
            "placeholders": 0,
            "comments": 3,
            "reviews": 1,
            "reviewComments": 1,
            "releases": 1,
            "releaseAssets": 1,
            "wiki": False,
            "lfsObjects": 0,
            "cannotMap": {},
        }


def test_an_existing_repository_that_is_not_empty_is_refused(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, _ = record_of()
        restore(platform, snapshot, record)
        writes = list(platform.platform.writes)
        fresh, _ = record_of()
        with pytest.raises(JobFailed, match="exists and is not empty"):
            restore(platform, snapshot, fresh)
        assert platform.platform.writes == writes


def _job(runtime: Runtime, task_id: str, http: httpx.Client) -> Job:
    with runtime.db.session() as session:
        task = session.get(Task, task_id)
        assert task is not None
        session.expunge(task)
    return Job(dataclasses.replace(runtime, http=http), task, g.CancelScope())


def test_the_job_keeps_what_it_created_in_the_task_row_and_a_retry_reads_it(
    api: Api, runtime: Runtime, tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    world = build_world(api, runtime)
    (tmp_path / "target").mkdir()
    with (
        WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN) as platform,
        httpx.Client() as http,
    ):
        with runtime.db.session(write=True) as session:
            organization = session.get(Organization, world.org)
            plan = session.get(Plan, world.plan)
            assert organization is not None
            assert plan is not None
            organization.driver, organization.name = 5, "acme"
            organization.api_url = platform.api_url
            organization.token_sealed = runtime.box.seal(TOKEN)
            target = {"kind": "platform", "organizationId": world.org, "name": "app"}
            task = Task(
                kind="restore",
                worker_id=plan.worker_id,
                repository_id=world.repos[0],
                params={"target": target},
            )
            session.add(task)
            session.flush()
            task_id = task.id
        run_platform_restore(_job(runtime, task_id, http), *snapshot)
        with runtime.db.session() as session:
            saved = session.get(Task, task_id)
            assert saved is not None
            assert saved.result["created"]["repository"] == "app"
            assert saved.result["created"]["issues"] == {str(n): n for n in range(1, 6)}
        compare(platform, tmp_path / "source.git")
        writes = list(platform.platform.writes)
        # The same task again, as a retry would run it: the repository is its own (not
        # refused as not empty) and nothing is created twice.
        run_platform_restore(_job(runtime, task_id, http), *snapshot)
        assert creations(platform) == [w for w in writes if w.startswith("POST")]


def _wiki(tmp_path: Path, snapshot: tuple[Vault, Manifest]) -> dict[str, str]:
    """A wiki backed up beside the snapshot's repository (as a backup does); its refs."""
    work = tmp_path / "wiki-work"
    subprocess.run(["git", "init", "--quiet", "-b", "master", str(work)], check=True)
    (work / "Home.md").write_text("# Welcome\n")
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "home")
    vault = snapshot[0]
    wikis = Vault(vault.storage, wiki_prefix(vault.prefix))
    made = backup(url=f"file://{work}", vault=wikis, cache=tmp_path / "wiki-cache")
    assert made.snapshot is not None
    return {"refs/heads/master": git(work, "rev-parse", "HEAD")}


def test_the_wiki_is_pushed_to_the_targets_wiki(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    refs = _wiki(tmp_path, snapshot)
    with WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        counted, _ = record_of()
        restore(platform, snapshot, counted, dry_run=True)
        assert counted.result["dryRun"]["wiki"] is True
        record, lines = record_of()
        restore(platform, snapshot, record)
        wiki = tmp_path / "target" / "acme" / "app.wiki.git"
        pushed = git(wiki, "for-each-ref", "--format=%(refname) %(objectname)")
        assert dict(line.split(" ") for line in pushed.splitlines()) == refs
        (line,) = [m for level, m in lines if "wiki" in m]
        assert line.startswith("wiki restored from its snapshot ")
        assert record.result["created"]["wiki"] == line.rsplit(" ", 1)[1]


def test_a_wiki_the_target_cannot_take_is_named_in_the_log(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    _wiki(tmp_path, snapshot)
    # GitHub's way: the repository says has_wiki, but its wiki's git repository exists
    # only once a first page is made.
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN, wikis=False) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, lines = record_of()
        restore(platform, snapshot, record)
        compare(platform, tmp_path / "source.git")
        (warning,) = [m for level, m in lines if level == "warning"]
        assert "the wiki (snapshot " in warning
        assert "was not carried over" in warning
        assert "create one, then run the restore again" in warning
        assert "wiki" not in record.result["created"]


class Refusing:
    """A writer whose platform refuses every pull request (as for one with no commits
    between its branches): create_pull answers None."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.writer, name)

    def create_pull(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_a_pull_request_the_platform_refuses_becomes_a_labelled_issue(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, lines = record_of()
        access = Access(1, "acme", platform.api_url, None, TOKEN)
        wanted = Wanted(name="app", description="restored", private=True)
        with httpx.Client() as client:
            restore_into(Refusing(writer_for(access, client)), *snapshot, wanted, record)
        target = platform.state["acme/app"]
        assert target.pulls == {}
        five = next(i for i in target.issues if i["number"] == 5)
        assert (five["title"], five["state"]) == ("Refactor the settings", "open")
        assert [label["name"] for label in five["labels"]] == ["ui", PULL_LABEL]
        assert (
            "`feature` into `main`: restored as an issue because the platform refused"
            in (five["body"])
        )
        assert without_author(five["body"]).endswith("Work in progress.")
        told = [m for _, m in lines if m.startswith("created 3 issues")]
        assert told == [
            "created 3 issues, 0 pull requests, 2 pull requests as issues, 0 placeholders, "
            "3 comments, 1 reviews, 1 review comments (the rest was on the target already)"
        ]


def test_a_number_the_snapshot_lacks_becomes_a_closed_placeholder(tmp_path: Path) -> None:
    data = source_data()
    data["issues"] = [i for i in data["issues"] if i["number"] != 2]  # #2 deleted upstream
    data["issues/comments"] = [
        c for c in data["issues/comments"] if "/issues/2" not in c["issue_url"]
    ]
    snapshot = make_snapshot(tmp_path, data)
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        counted, _ = record_of()
        restore(platform, snapshot, counted, dry_run=True)
        assert (counted.result["dryRun"]["issues"], counted.result["dryRun"]["placeholders"]) == (
            2,
            1,
        )
        record, _ = record_of()
        restore(platform, snapshot, record)
        by_number = {i["number"]: i for i in platform.state["acme/app"].issues}
        assert sorted(by_number) == [1, 2, 3, 4, 5]
        assert (by_number[2]["title"], by_number[2]["state"]) == ("Placeholder for #2", "closed")
        assert by_number[3]["title"] == "Crash when saving"  # still #3
