"""Issue 12 §3: a snapshot restored into an organization of a platform. The source is backed
up for real (git from a repository on disk, metadata exported by the GitHub driver from the
fake GitHub); the target is a write-capable fake GitHub or Gitea on 127.0.0.1 with `git
http-backend` behind it. Compared item by item, modulo ids and the author line."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from repovault.backends.local import LocalBackend
from repovault.engine import git as g
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.organizations.models import Organization
from repovault.plans.models import Plan
from repovault.providers.base import Access
from repovault.providers.github import GitHubDriver
from repovault.providers.pages import PageCache
from repovault.providers.writes import writer_for
from repovault.runner.execute import Job, JobFailed
from repovault.runner.restore_platform import Record, Wanted, restore_into, run_platform_restore
from repovault.runtime import Runtime
from repovault.tasks.models import Task
from tests.api.world import build_world
from tests.conftest import Api
from tests.e2e.metadata import repo_data
from tests.providers.fake_github import FakeGitHub, milestone, repository
from tests.providers.fake_writable import WritablePlatform

TOKEN = "target-token"


ASSET = b"PK release archive \x00\x01\xff"
PULL_LABEL = "restored pull request"


def _data() -> dict[str, list[Any]]:
    """The e2e repository's metadata, its issue #3 in milestone 1.0; pull request #4 (merged)
    from `fix-crash`, a branch deleted since, #5 (open) from `feature` into `main`, both
    branches of the snapshot; #4's review comment quotes its diff hunk."""
    data = repo_data()
    data["issues"][2]["milestone"] = milestone(1, "1.0")
    merged, open_one = data["pulls"]
    merged["head"] = {"ref": "fix-crash", "sha": "1" * 40}
    merged["base"] = {"ref": "main", "sha": "2" * 40}
    merged["merged_by"] = {"login": "erin"}
    open_one["head"] = {"ref": "feature", "sha": "3" * 40}
    open_one["base"] = {"ref": "main", "sha": "2" * 40}
    data["pulls/comments"][0]["diff_hunk"] = "@@ -8,3 +8,4 @@\n def save(self):\n+    check()"
    return data


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def _source_repository(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    subprocess.run(["git", "init", "--quiet", "-b", "main", str(work)], check=True)
    for name in ("one", "two"):
        (work / f"{name}.txt").write_text(name)
        _git(work, "add", ".")
        _git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", name)
    _git(work, "checkout", "-q", "-b", "feature", "HEAD~1")
    (work / "three.txt").write_text("three")
    _git(work, "add", ".")
    _git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "three")
    _git(work, "checkout", "-q", "main")
    _git(work, "-c", "user.name=t", "-c", "user.email=t@e", "tag", "-a", "v1.0", "-m", "one")
    _git(work, "update-ref", "refs/pull/4/head", "HEAD~1")  # platforms refuse these
    bare = tmp_path / "source.git"
    subprocess.run(["git", "clone", "--quiet", "--mirror", str(work), str(bare)], check=True)
    return bare


@pytest.fixture
def snapshot(tmp_path: Path) -> tuple[Vault, Manifest]:
    """A backup of acme/app: its git from disk, its metadata from the fake GitHub."""
    source = FakeGitHub()
    source.orgs["acme"] = [repository(1, "acme/app")]
    source.repo_data["acme/app"] = _data()
    source.asset_files["1"] = ASSET
    driver = GitHubDriver(Access(1, "acme", None, None, "t"), source.client())
    export = driver.export_metadata(
        "acme/app", tmp_path / "meta", PageCache(tmp_path / "pages"), set()
    )
    vault = Vault(LocalBackend(tmp_path / "store"), "r/")
    options = BackupOptions(metadata=dict(export.documents), counts=export.counts)
    made = backup(
        url=f"file://{_source_repository(tmp_path)}",
        vault=vault,
        cache=tmp_path / "cache",
        options=options,
    )
    assert made.snapshot is not None
    return vault, made.snapshot


def _record(previous: dict[str, Any] | None = None) -> tuple[Record, list[tuple[str, str]]]:
    lines: list[tuple[str, str]] = []
    result: dict[str, Any] = {}
    record = Record(
        result=result,
        previous=previous or {},
        log=lambda level, message: lines.append((level, message)),
        report=lambda _percent, _text: None,
        check=lambda: None,
        save=lambda: None,
    )
    return record, lines


def _restore(
    platform: WritablePlatform,
    snapshot: tuple[Vault, Manifest],
    record: Record,
    **wanted: Any,
) -> None:
    driver = 5 if platform.platform.gitea else 1
    access = Access(driver, "acme", platform.api_url, None, TOKEN)
    with httpx.Client() as client:
        restore_into(
            writer_for(access, client),
            *snapshot,
            Wanted(name="app", description="restored", private=True, **wanted),
            record,
        )


def _without_author(body: str | None) -> str:
    first, _, rest = (body or "").partition("\n\n")
    assert first.startswith("_Originally ")
    return rest


def _source_thread(data: dict[str, list[Any]], number: int) -> list[str]:
    """The comments (then reviews and review comments) of `number`, in time order, as a
    restore quotes them (without the author line)."""
    entries = [
        (c["created_at"], c["body"])
        for c in data["issues/comments"]
        if c["issue_url"].endswith(f"/issues/{number}")
    ]
    for c in data["pulls/comments"]:
        if c["pull_request_url"].endswith(f"/pulls/{number}"):
            quoted = f"```diff\n{c['diff_hunk']}\n```\n\n{c['body']}"
            entries.append((c["created_at"], quoted))
    for r in data.get(f"pulls/{number}/reviews", []):
        entries.append((r["submitted_at"], r["body"]))
    return [body for _, body in sorted(entries)]


def _compare_refs(platform: WritablePlatform, source_git: Path) -> None:
    target = platform.state["acme/app"]
    source_refs = dict(
        line.split(" ", 1)
        for line in _git(source_git, "for-each-ref", "--format=%(refname) %(objectname)").split(
            "\n"
        )
    )
    wanted_refs = {
        r: o for r, o in source_refs.items() if r.startswith(("refs/heads/", "refs/tags/"))
    }
    assert target.refs() == wanted_refs
    assert target.head() == "main"


def _compare_pulls(platform: WritablePlatform, restored: dict[int, Any]) -> None:
    target = platform.state["acme/app"]
    merged, open_one = _data()["pulls"]
    # #5: a pull request again, open, its branches and labels as they were.
    assert sorted(target.pulls) == [5]
    pull = target.pulls[5]
    assert (pull["title"], pull["state"]) == (open_one["title"], "open")
    assert (pull["head"]["ref"], pull["base"]["ref"]) == ("feature", "main")
    assert _without_author(pull["body"]) == open_one["body"]
    assert [label["name"] for label in restored[5]["labels"]] == ["ui"]
    # #4: merged from a branch deleted since: an issue labelled as a restored pull request.
    issue = restored[4]
    assert "pull_request" not in issue or not issue["pull_request"]
    assert (issue["title"], issue["state"]) == (merged["title"], "closed")
    assert [label["name"] for label in issue["labels"]] == ["bug", PULL_LABEL]
    first, _, rest = issue["body"].partition("\n\n")
    assert first == (
        "_Originally opened by @carol at 2024-01-04T10:00:00Z; "
        "merged by @erin at 2024-01-06T09:00:00Z_"
    )
    assert "`fix-crash` into `main`" in rest
    assert rest.endswith("\n\nFixes #1.")
    # Its conversation, its review comment (file and line quoted) and its review, in order.
    posted = [c["body"] for c in target.comments.get(4, [])]
    assert [_without_author(body) for body in posted] == _source_thread(_data(), 4)
    assert posted[1].startswith("_Originally commented by @dave at 2024-01-05T15:00:00Z on ")
    assert "`src/app.py:10`" in posted[1].partition("\n")[0]
    assert posted[2].startswith("_Originally reviewed by @dave at 2024-01-05T16:00:00Z: approved_")


def _compare(platform: WritablePlatform, source_git: Path) -> None:
    _compare_refs(platform, source_git)
    target = platform.state["acme/app"]
    data = _data()
    issues = {i["number"]: i for i in data["issues"] if "pull_request" not in i}
    restored = {i["number"]: i for i in target.issues}
    assert sorted(restored) == [1, 2, 3, 4, 5]
    for number, issue in issues.items():
        got = restored[number]
        assert got["title"] == issue["title"]
        assert got["state"] == issue["state"]
        assert _without_author(got["body"]) == issue["body"]
        assert (got["milestone"] or {}).get("title") == (issue["milestone"] or {}).get("title")
        assert [label["name"] for label in got["labels"]] == [
            label["name"] for label in issue["labels"]
        ]
        assert [_without_author(c["body"]) for c in target.comments.get(number, [])] == (
            _source_thread(data, number)
        )
    _compare_pulls(platform, restored)
    assert [label["name"] for label in target.labels] == ["bug", "enhancement", "ui", PULL_LABEL]
    assert [m["title"] for m in target.milestones] == ["1.0"]
    (source_release,) = data["releases"]
    (release,) = target.releases
    assert (release["tag_name"], release["name"]) == ("v1.0", source_release["name"])
    assert (release["draft"], release["prerelease"]) == (False, False)
    assert _without_author(release["body"]) == source_release["body"]
    assert [(a["name"], target.assets[a["id"]]) for a in release["assets"]] == [
        ("example.zip", ASSET)
    ]


@pytest.mark.parametrize("gitea", [False, True], ids=["github", "gitea"])
def test_round_trip_then_a_rerun_creates_nothing_twice(
    tmp_path: Path, snapshot: tuple[Vault, Manifest], gitea: bool
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=gitea, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, lines = _record()
        _restore(platform, snapshot, record)
        _compare(platform, tmp_path / "source.git")
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
        posts = [w for w in platform.platform.writes if w.startswith("POST")]
        # 1 repository, 4 labels, 1 milestone, 3 issues, 1 pull request, 1 issue for a pull
        # request, 5 comments (3 comments, a review, a review comment), 1 release, 1 file
        assert len(posts) == 18
        patches = [w.split(" ", 1)[1] for w in platform.platform.writes if w.startswith("PATCH")]
        if gitea:  # issues created closed, labels given with the pull request: no PATCH
            assert patches == ["/repos/acme/app"]
        else:  # closing #2 and #4; #5's label through its issue
            assert patches == [
                "/repos/acme/app",
                "/repos/acme/app/issues/2",
                "/repos/acme/app/issues/4",
                "/repos/acme/app/issues/5",
            ]

        # The same task again (after a crash, say): nothing created twice.
        again, told_again = _record(previous=dict(record.result))
        _restore(platform, snapshot, again)
        assert [w for w in platform.platform.writes if w.startswith("POST")] == posts
        nothing = (
            "created 0 issues, 0 pull requests, 0 pull requests as issues, 0 placeholders, "
            "0 comments, 0 reviews, 0 review comments (the rest was on the target already)"
        )
        assert ("info", nothing) in told_again
        nothing = "created 0 releases, 0 release files (the rest was on the target already)"
        assert ("info", nothing) in told_again
        _compare(platform, tmp_path / "source.git")

        # A new task with overwrite: matched on the target, still nothing twice.
        overwrite, _ = _record()
        _restore(platform, snapshot, overwrite, overwrite=True)
        assert [w for w in platform.platform.writes if w.startswith("POST")] == posts


def test_a_rerun_after_a_crash_halfway_finishes_without_duplicates(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, _ = _record()
        calls = 0

        def crash_at_the_third_issue() -> None:
            nonlocal calls
            calls += 1
            if calls == 3:
                raise RuntimeError("killed")

        record.check = crash_at_the_third_issue
        with pytest.raises(RuntimeError):
            _restore(platform, snapshot, record)
        assert len(platform.state["acme/app"].issues) == 2
        again, _ = _record(previous=dict(record.result))
        _restore(platform, snapshot, again)
        _compare(platform, tmp_path / "source.git")


class Crashing:
    """A writer that dies just before its `crash_at`-th creation (an issue, pull request,
    comment, label, release, file ...), as a worker killed there would."""

    CREATES = ("create", "create_issue", "create_pull", "upload_asset", "create_repository")

    def __init__(self, writer: Any, crash_at: int) -> None:
        self.writer = writer
        self.crash_at = crash_at
        self.made = 0

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.writer, name)
        if name not in self.CREATES:
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.made += 1
            if self.made == self.crash_at:
                raise RuntimeError(f"killed before creation {self.crash_at}")
            return found(*args, **kwargs)

        return counted


# 18 creations in all (test_round_trip...): a crash before each of them.
@pytest.mark.parametrize(
    ("gitea", "crash_at"),
    [(False, n) for n in range(1, 19)] + [(True, n) for n in (2, 7, 10, 13, 16, 17, 18)],
)
def test_a_crash_before_any_creation_then_a_rerun_leaves_no_duplicate_and_no_gap(
    tmp_path: Path, snapshot: tuple[Vault, Manifest], gitea: bool, crash_at: int
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=gitea, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, _ = _record()
        access = Access(5 if gitea else 1, "acme", platform.api_url, None, TOKEN)
        wanted = Wanted(name="app", description="restored", private=True)
        with httpx.Client() as client:
            crashing = Crashing(writer_for(access, client), crash_at)
            with pytest.raises(RuntimeError, match="killed"):
                restore_into(crashing, *snapshot, wanted, record)
        again, _ = _record(previous=dict(record.result))
        _restore(platform, snapshot, again)
        _compare(platform, tmp_path / "source.git")
        posts = [w for w in platform.platform.writes if w.startswith("POST")]
        assert len(posts) == 18


def test_a_dry_run_counts_and_writes_nothing(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN) as platform:
        record, _ = _record()
        _restore(platform, snapshot, record, dry_run=True)
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
            "lfs": False,
            "cannotMap": {},
        }


def test_an_existing_repository_that_is_not_empty_is_refused(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, _ = _record()
        _restore(platform, snapshot, record)
        writes = list(platform.platform.writes)
        fresh, _ = _record()
        with pytest.raises(JobFailed, match="exists and is not empty"):
            _restore(platform, snapshot, fresh)
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
        _compare(platform, tmp_path / "source.git")
        writes = list(platform.platform.writes)
        # The same task again, as a retry would run it: the repository is its own (not
        # refused as not empty) and nothing is created twice.
        run_platform_restore(_job(runtime, task_id, http), *snapshot)
        assert [w for w in platform.platform.writes if w.startswith("POST")] == [
            w for w in writes if w.startswith("POST")
        ]


def test_a_rate_limited_write_is_retried_and_applied_once(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        platform.platform.limit = ("/issues", 2)
        record, _ = _record()
        _restore(platform, snapshot, record)
        _compare(platform, tmp_path / "source.git")
        issue_posts = [w for w in platform.platform.writes if w == "POST /repos/acme/app/issues"]
        # 3 issues and 1 issue for pull request #4; two answered 429, not applied, retried
        assert len(issue_posts) == 4 + 2
