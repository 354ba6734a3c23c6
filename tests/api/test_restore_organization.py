"""Issue 12 §3: `/git/organizations/restore`, an organization (or a plan) as it was at a time
restored into another organization: the whole request checked before any task exists, then
one restore task per repository with a snapshot at or before the time (the others skipped),
a batch that runs `concurrency` at a time. The source is backed up for real (the fake GitHub
and the embedded worker); the target is the write-capable fake Gitea on 127.0.0.1, which the
server's HTTP client reaches beside the recorded fakes."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from repovault.backends.local import LocalBackend
from repovault.common import codes
from repovault.common.errors import Conflict
from repovault.config import Settings
from repovault.engine.manifest import Content, Manifest, snapshot_id
from repovault.engine.vault import Vault
from repovault.organizations.models import Organization
from repovault.repositories.models import Repository
from repovault.repositories.org_restore import (
    Chosen,
    _check_targets,
    _snapshot_at,
    shown,
)
from repovault.runtime import Runtime
from repovault.tasks.models import Task
from tests.api.world import build_world
from tests.conftest import Api
from tests.e2e.flow import make_sources, wait_tasks
from tests.e2e.metadata import Backed, _synchronized, github_with_metadata, repo_data, run
from tests.providers.fake_github import FakeGitHub, repository
from tests.providers.fake_platforms import Platforms
from tests.providers.fake_writable import WritablePlatform
from tests.providers.routed import routed_runtime

TOKEN = "target-token"
CALL = "/git/organizations/restore"


@pytest.fixture
def runtime(settings: Settings, platforms: Platforms) -> Iterator[Runtime]:
    routed = routed_runtime(settings, platforms)
    yield routed
    routed.close()


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["errorCode"] == code, problem
    return problem


def _tasks(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Task)) or 0)


def _gitea_org(runtime: Runtime, api_url: str) -> str:
    with runtime.db.session(write=True) as session:
        organization = Organization(
            driver=5, name="acme", api_url=api_url, token_sealed=runtime.box.seal(TOKEN)
        )
        session.add(organization)
        session.flush()
        return organization.id


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def _with_a_commit(folder: Path, work: Path) -> None:
    empty = ["--allow-empty", "-m", "x"]
    for args in (
        ["init", "-q", "-b", "main", str(work)],
        ["-C", str(work), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", *empty],
        ["-C", str(work), "push", "-q", str(folder), "main"],
    ):
        subprocess.run(["git", *args], check=True)


@pytest.fixture
def backed(api: Api, github: FakeGitHub, tmp_path: Path) -> Backed:
    """`acme/app` backed up once; `acme/lib` known but never backed up."""
    backed = github_with_metadata(api, github, tmp_path / "git")
    run(api, backed)
    lib = repository(102, "acme/lib", private=False)
    lib.update(clone_url=backed.source.as_uri(), has_wiki=False)
    github.orgs["acme"].append(lib)
    _synchronized(api, backed.org)
    return backed


def test_an_organization_at_a_time_is_restored_into_another(
    api: Api, backed: Backed, runtime: Runtime, tmp_path: Path
) -> None:
    repositories = _synchronized(api, backed.org)
    (snapshot,) = api.ok("/git/repositories/snapshots", {"id": backed.repo})["result"]
    (tmp_path / "target").mkdir()
    with WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN) as platform:
        target_org = _gitea_org(runtime, platform.api_url)
        target = {"organizationId": target_org, "namePrefix": "restored-"}

        # A time before the only snapshot: nothing to restore, nothing queued.
        before = _tasks(runtime)
        early = {"id": backed.org, "at": snapshot["createdAt"] - 1, "target": target}
        _problem(api.post(CALL, early), 409, codes.NOTHING_TO_RESTORE)
        assert _tasks(runtime) == before

        dry = api.ok(CALL, {"id": backed.org, "target": {**target, "dryRun": True}})
        assert dry["skipped"] == [repositories["acme/lib"]]
        assert dry["restores"] == [
            {
                "id": backed.repo,
                "name": "restored-app",
                "snapshotId": snapshot["id"],
                "taskId": dry["taskIds"][0],
            }
        ]
        (task,) = wait_tasks(api, dry["taskIds"])
        assert task["status"] == 1, task["logs"]
        assert task["result"]["dryRun"]["repository"] == "create"
        counts = task["result"]["dryRun"]
        assert (counts["issues"], counts["placeholders"]) == (3, 0)
        # #4, #5: pull requests, as pull requests where both branches are in the snapshot
        assert counts["pullRequests"] + counts["pullRequestsAsIssues"] == 2
        assert platform.state == {}  # a dry run writes nothing

        body = {"id": backed.org, "at": _iso(snapshot["createdAt"]), "target": target}
        answer = api.ok(CALL, {**body, "concurrency": 1})
        (task,) = wait_tasks(api, answer["taskIds"])
        assert task["status"] == 1, task["logs"]
        assert task["result"]["snapshotId"] == snapshot["id"]
        restored = platform.state["acme/restored-app"]
        assert [i["number"] for i in restored.issues] == [1, 2, 3, 4, 5]
        refs = restored.refs()
        assert refs["refs/heads/main"]
        with runtime.db.session() as session:
            row = session.get(Task, answer["taskIds"][0])
            assert row is not None
            assert (row.batch_id, row.batch_limit) == (answer["batchId"], 1)

        # Again: the repository is there and not empty now; refused, all named, no task.
        before = _tasks(runtime)
        refused = _problem(api.post(CALL, body), 409, codes.TARGET_NOT_EMPTY)
        assert "acme/restored-app" in refused["detail"]
        assert _tasks(runtime) == before
        # Into the organization itself under the same names, forcing: refused.
        onto = {"id": backed.org, "target": {"organizationId": backed.org, "overwrite": True}}
        _problem(api.post(CALL, onto), 409, codes.RESTORE_ONTO_ORIGINALS)
        # By plan: that plan's snapshots only.
        by_plan = api.ok(CALL, {"planId": backed.plan, "target": {**target, "dryRun": True}})
        assert [r["id"] for r in by_plan["restores"]] == [backed.repo]
        assert by_plan["skipped"] == []
        wait_tasks(api, by_plan["taskIds"])


def test_an_existing_repository_in_the_target_is_refused_before_any_task(
    api: Api, backed: Backed, runtime: Runtime, tmp_path: Path
) -> None:
    (tmp_path / "target").mkdir()
    with WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN) as platform:
        target_org = _gitea_org(runtime, platform.api_url)
        platform.platform.create_repository({"name": "app", "private": False})
        _with_a_commit(platform.state["acme/app"].folder, tmp_path / "work")
        before = _tasks(runtime)
        body = {"id": backed.org, "target": {"organizationId": target_org}}
        problem = _problem(api.post(CALL, body), 409, codes.TARGET_NOT_EMPTY)
        assert "acme/app exists and is not empty" in problem["detail"]
        assert _tasks(runtime) == before
        # Overwrite (or a dry run) does not ask; the task would force-push.
        forced = api.ok(CALL, {"id": backed.org, "target": {**body["target"], "dryRun": True}})
        assert len(forced["taskIds"]) == 1
        wait_tasks(api, forced["taskIds"])


RQ = codes.INVALID_FIELD


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "target", RQ),
        ({"target": {"organizationId": "o"}}, "id", codes.EXPORT_SCOPE_INVALID),
        ({"id": "o", "planId": "p", "target": {"organizationId": "o"}}, "planId", "GT1022"),
        ({"id": "o", "target": {}}, "target.organizationId", RQ),
        ({"id": "o", "target": {"organizationId": "o", "dryRun": "yes"}}, "target.dryRun", RQ),
        ({"id": "o", "target": {"organizationId": "o", "overwrite": 1}}, "target.overwrite", RQ),
        # `at` as for /git/organizations/export: a time from 2000 on, not in the future.
        ({"id": "o", "at": "yesterday", "target": {"organizationId": "o"}}, "at", "GT1020"),
        ({"id": "o", "at": 1_700_000, "target": {"organizationId": "o"}}, "at", "GT1020"),
        ({"id": "o", "at": "2999-01-01", "target": {"organizationId": "o"}}, "at", "GT1021"),
        ({"id": "o", "concurrency": 0, "target": {"organizationId": "o"}}, "concurrency", RQ),
        ({"id": "o", "concurrency": 17, "target": {"organizationId": "o"}}, "concurrency", RQ),
        (
            {"id": "o", "target": {"organizationId": "o", "namePrefix": "x" * 51}},
            "target.namePrefix",
            RQ,
        ),
    ],
)
def test_bad_fields_are_400_naming_them(
    api: Api, runtime: Runtime, body: dict[str, Any], field: str, code: str
) -> None:
    world = build_world(api, runtime)
    for key in ("id",):
        if body.get(key) == "o":
            body = {**body, key: world.org}
    if body.get("target", {}).get("organizationId") == "o":
        body = {**body, "target": {**body["target"], "organizationId": world.org}}
    before = _tasks(runtime)
    problem = _problem(api.post(CALL, body), 400, code)
    assert field in problem["errors"], problem
    assert _tasks(runtime) == before


def test_unknown_sources_and_targets_and_other_platforms(
    api: Api, runtime: Runtime, backed: Backed
) -> None:
    world = build_world(api, runtime)
    target = {"organizationId": backed.org, "dryRun": True, "namePrefix": "x-"}
    _problem(api.post(CALL, {"id": "nope", "target": target}), 404, codes.ORGANIZATION_NOT_FOUND)
    _problem(api.post(CALL, {"planId": "nope", "target": target}), 404, codes.PLAN_NOT_FOUND)
    unknown = {"id": backed.org, "target": {**target, "organizationId": "nope"}}
    _problem(api.post(CALL, unknown), 404, codes.ORGANIZATION_NOT_FOUND)
    # A plain Git organization (driver 6) can be neither source nor target yet.
    other = {"id": backed.org, "target": {**target, "organizationId": world.org}}
    assert "target.organizationId" in _problem(api.post(CALL, other), 400, "RQ1002")["errors"]
    source = {"id": world.org, "target": target}
    assert "id" in _problem(api.post(CALL, source), 400, "RQ1002")["errors"]
    # A prefix that makes a name no platform takes.
    bad = {"id": backed.org, "target": {**target, "namePrefix": "a b"}}
    assert "target.namePrefix" in _problem(api.post(CALL, bad), 400, "RQ1002")["errors"]


def test_two_repositories_becoming_one_name_are_refused(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        one = Repository(organization_id="o", server_id="1", name="acme/App")
        two = Repository(organization_id="o", server_id="2", name="other/app")
        plan: Any = None
        chosen = [Chosen(one, plan, "s1", "app"), Chosen(two, plan, "s2", "App")]
        target = {"kind": "platform", "organizationId": "t", "overwrite": False, "dryRun": True}
        with pytest.raises(Conflict) as refused:
            _check_targets(runtime, session, chosen, target)
    assert refused.value.code == codes.RESTORE_NAMES_CLASH


def test_times_in_messages_never_fail() -> None:
    assert shown(1_795_867_200_000) == "2026-11-28T12:00:00+00:00"
    assert shown(-(10**18)) == f"{-(10**18)} (unix ms)"


def _manifest(vault: Vault, began: datetime, seconds: int) -> str:
    """A snapshot that began at `began` and was complete `seconds` later; its id."""
    snapshot = snapshot_id(began)
    vault.write_manifest(
        Manifest(
            id=snapshot,
            repository="https://github.com/acme/app.git",
            kind="full",
            parent=None,
            created_at=int((began + timedelta(seconds=seconds)).timestamp() * 1000),
            codec="zstd",
            level=2,
            encrypted=False,
            objects=[],
            content=Content(head=None, refs={}, object_count=0),
        )
    )
    return snapshot


def test_the_snapshot_at_a_time_is_the_newest_complete_by_then(tmp_path: Path) -> None:
    """As an export at that time chooses: the highest id whose createdAt is at or before
    it, across the plans' vaults; one that began before but ended after does not count."""
    first, second = (
        Vault(LocalBackend(tmp_path / "a"), "v"),
        Vault(LocalBackend(tmp_path / "b"), "v"),
    )
    noon = datetime(2026, 11, 28, 12, tzinfo=UTC)
    early = _manifest(first, noon - timedelta(hours=2), 60)
    other = _manifest(second, noon - timedelta(hours=1), 60)
    _manifest(first, noon - timedelta(minutes=1), 120)  # still running at noon
    repository = Repository(organization_id="o", server_id="1", name="acme/app")
    plans: Any = ["plan-a", "plan-b"]
    held = [(plans[0], first), (plans[1], second)]
    at = int(noon.timestamp() * 1000)
    assert _snapshot_at(repository, held, at) == ("plan-b", other)
    assert _snapshot_at(repository, held[:1], at) == ("plan-a", early)
    before = int((noon - timedelta(hours=3)).timestamp() * 1000)
    assert _snapshot_at(repository, held, before) is None
    assert _snapshot_at(repository, held, at + 60_000)[1] > other  # type: ignore[index]


def test_a_batch_runs_its_concurrency_at_a_time(
    api: Api, github: FakeGitHub, runtime: Runtime, tmp_path: Path
) -> None:
    """Three repositories backed up, restored (dry runs) one at a time: no two tasks of the
    batch ran at once, whatever the worker's four threads could take."""
    sources = make_sources(tmp_path / "git", ("app", "lib", "docs"))
    items = []
    for index, name in enumerate(("app", "lib", "docs")):
        item = repository(200 + index, f"acme/{name}", private=True)
        item.update(clone_url=sources[f"team/{name}"].as_uri(), has_wiki=False)
        items.append(item)
        github.repo_data[f"acme/{name}"] = repo_data()
    github.orgs["acme"] = items
    org = api.ok("/git/organizations/add", {"driver": 1, "name": "acme", "token": "ghp_test"})
    repos = _synchronized(api, org["id"])
    api.ok("/git/repositories/activate", {"ids": list(repos.values())})
    plan = api.ok(
        "/plans/creategitplan",
        {
            "name": "all",
            "organizationId": org["id"],
            "gitChoiceMode": 1,
            "schedule": {"scheme": 1, "options": []},
        },
    )["id"]
    backups = wait_tasks(api, api.ok("/plans/run", {"id": plan, "kind": 1})["taskIds"])
    # (a warning each: the release's file is not on the fake)
    assert {t["status"] for t in backups} <= {1, 2}, [t["logs"] for t in backups]
    (tmp_path / "target").mkdir()
    with WritablePlatform(tmp_path / "target", gitea=True, token=TOKEN) as platform:
        target = {"organizationId": _gitea_org(runtime, platform.api_url), "dryRun": True}
        answer = api.ok(CALL, {"id": org["id"], "target": target, "concurrency": 1})
        assert len(answer["taskIds"]) == 3
        tasks = sorted(wait_tasks(api, answer["taskIds"]), key=lambda t: t["startedAt"])
    assert [t["status"] for t in tasks] == [1, 1, 1], [t["logs"] for t in tasks]
    for earlier, later in itertools.pairwise(tasks):
        assert later["startedAt"] >= earlier["finishedAt"], (earlier, later)
        # The worker that ended one sends the batch's next at once (the loop's own pass is
        # 15 s away by default).
        assert later["startedAt"] - earlier["finishedAt"] < 5000, (earlier, later)
