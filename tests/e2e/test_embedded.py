"""Plans that run, end to end through the HTTP API on the embedded default (SQLite or
PostgreSQL, the in-process broker and worker threads, the local storage)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import select, update

from repovault.engine.restore import restore_to_directory
from repovault.engine.vault import Vault
from repovault.organizations.models import Wiki
from repovault.runtime import Runtime
from repovault.storages.models import Storage
from repovault.storages.service import open_backend
from repovault.tasks.models import Task
from tests.conftest import Api
from tests.e2e.flow import make_sources, organization_with_plan, refs_and_objects, wait_tasks
from tests.engine.repos import commit, git
from tests.providers.fake_platforms import Platforms


def test_plan_runs_backs_up_lists_and_restores_bit_exact(api: Api, tmp_path: Path) -> None:
    sources = make_sources(tmp_path / "git")
    org, repos, plan = organization_with_plan(
        api,
        tmp_path / "git",
        encryptionSettings={"algorithm": 1, "password": "plan-password"},
        compressionSettings={"codec": 1, "level": 1},
    )
    task_ids = api.ok("/plans/run", {"id": plan})["taskIds"]
    assert len(task_ids) == len(sources)
    tasks = wait_tasks(api, task_ids)
    assert [t["status"] for t in tasks] == [1] * len(sources), tasks
    for task in tasks:
        messages = [line["message"] for line in task["logs"]]
        assert any("snapshot" in m and "written" in m for m in messages), messages
        assert task["progress"] == 100
        assert task["attempt"] == 1
        assert {line["level"] for line in task["logs"]} <= {"success", "info", "warning"}

    listed = api.ok("/git/repositories/getmany", {"id": org, "limit": 100})["result"]
    for repository in listed["repositories"]:
        assert repository["lastBackupTaskStatus"] == 1
        assert repository["lastSuccessfulBackup"] > 0
        assert repository["lastBackup"] == repository["lastSuccessfulBackup"]
    assigned = api.ok("/plans/listassignedtoorganization", {"organizationId": org})
    assert assigned["totalEntries"] == 1

    app_id = repos["team/app"]
    snapshots = api.ok("/git/repositories/snapshots", {"id": app_id})
    assert snapshots["totalEntries"] == 1
    (snap,) = snapshots["result"]
    assert snap["kind"] == "full"
    assert snap["planId"] == plan
    assert snap["parentId"] is None
    source_refs, source_objects = refs_and_objects(sources["team/app"])
    assert snap["refCount"] == len(source_refs)

    # A second run of unchanged repositories writes nothing; a change makes an increment.
    commit_into(sources["team/app"], tmp_path / "clone")
    again = wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
    assert [t["status"] for t in again] == [1] * len(sources)
    created = {t["repositoryId"]: t["result"]["created"] for t in again}
    assert created == {rid: rid == app_id for rid in repos.values()}
    second = api.ok("/git/repositories/snapshots", {"id": app_id})["result"]
    assert [s["kind"] for s in second] == ["incremental", "full"]
    assert second[0]["parentId"] == snap["id"]

    target = tmp_path / "restored.git"
    restore = api.ok(
        "/git/repositories/restore",
        {"id": app_id, "target": {"kind": "directory", "path": str(target)}},
    )
    (restored,) = wait_tasks(api, [restore["taskId"]])
    assert restored["status"] == 1, restored
    assert refs_and_objects(target) == refs_and_objects(sources["team/app"])
    git(target, "fsck", "--full", "--strict")

    older = tmp_path / "older.git"
    old = api.ok(
        "/git/repositories/restore",
        {
            "id": app_id,
            "snapshotId": snap["id"],
            "target": {"kind": "directory", "path": str(older)},
        },
    )
    assert wait_tasks(api, [old["taskId"]])[0]["status"] == 1
    assert refs_and_objects(older) == (source_refs, source_objects)

    verify = api.ok("/git/repositories/verify", {"id": app_id})
    (verified,) = wait_tasks(api, [verify["taskId"]])
    assert verified["status"] == 1, verified
    assert verified["result"]["checked"] == 2

    page = api.ok(
        "/tasks/getmany", {"filters": [{"property": "kind", "operator": "eq", "value": "restore"}]}
    )
    assert page["totalEntries"] == 2
    plan_page = api.ok(
        "/tasks/getmany",
        {"limit": 100, "filters": [{"property": "planId", "operator": "eq", "value": plan}]},
    )
    assert plan_page["totalEntries"] == 2 * len(sources)


def commit_into(bare: Path, work: Path) -> None:
    git(bare.parent, "clone", "-q", str(bare), str(work))
    git(work, "checkout", "-q", "main")
    commit(work, "more", {"more.txt": b"more\n"})
    git(work, "push", "-q", "origin", "main")


def test_plan_counters_and_restore_to_a_git_url(api: Api, runtime: Runtime, tmp_path: Path) -> None:
    sources = make_sources(tmp_path / "git", ("one",))
    own = api.ok(
        "/storages/add", {"name": "own", "type": 1, "settings": {"path": str(tmp_path / "own")}}
    )["id"]
    org, repos, plan = organization_with_plan(api, tmp_path / "git", storageId=own)
    wait_tasks(api, api.ok("/plans/run", {"id": plan, "kind": 1})["taskIds"])
    # The plan's own storage holds the snapshots; the default one does not.
    assert (tmp_path / "own" / "repositories" / repos["team/one"] / plan).is_dir()
    assert not (runtime.settings.data_dir / "storage" / "repositories").exists()
    assert (
        api.ok("/git/repositories/snapshots", {"id": repos["team/one"]})["result"][0]["storageId"]
        == own
    )
    listed = api.ok("/git/organizations/getmany", {"limit": 100})["result"]
    (entry,) = [o for o in listed if o["id"] == org]
    (summary,) = entry["plans"]
    assert summary["lastStatus"] == {"successes": 1, "warnings": 0, "errors": 0}
    assert summary["planFinishedTime"] > 0
    assert summary["isRunning"] is False

    empty = tmp_path / "pushed.git"
    git(tmp_path, "init", "-q", "--bare", str(empty))
    reply = api.ok(
        "/git/repositories/restore",
        {"id": repos["team/one"], "target": {"kind": "url", "url": empty.as_uri(), "token": "t0k"}},
    )
    (task,) = wait_tasks(api, [reply["taskId"]])
    assert task["status"] == 2, task  # a push cannot set HEAD: a warning says so
    assert "t0k" not in json.dumps(task)
    assert refs_and_objects(empty)[0] == refs_and_objects(sources["team/one"])[0]


def test_failures_are_retried_then_failed_with_a_log(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    make_sources(tmp_path / "git", ("gone",))
    org, _repos, plan = organization_with_plan(
        api,
        tmp_path / "git",
        advancedOptions={"maxTaskRetriesCount": "2", "taskRetriesFrequency": "0"},
    )
    for path in (tmp_path / "git").rglob("*.git"):
        (path / "HEAD").unlink()  # no longer a repository: every fetch fails
    (task_id,) = api.ok("/plans/run", {"id": plan})["taskIds"]
    (task,) = wait_tasks(api, [task_id])
    assert task["status"] == 3
    assert task["attempt"] == 3
    levels = [line["level"] for line in task["logs"]]
    assert levels.count("warning") == 2  # two retries announced
    assert levels[-1] == "error"
    assert "failed after 3 attempt(s)" in task["logs"][-1]["message"]
    (repo,) = api.ok("/git/repositories/getmany", {"id": org})["result"]["repositories"]
    assert repo["lastBackupTaskStatus"] == 3
    assert repo["lastSuccessfulBackup"] == 0


def test_inactive_plans_do_not_run_and_unknown_ids_are_404(api: Api, tmp_path: Path) -> None:
    make_sources(tmp_path / "git", ("x",))
    _org, _repos, plan = organization_with_plan(api, tmp_path / "git", isActive=False)
    reply = api.post("/plans/run", {"id": plan})
    assert reply.status_code == 409
    assert reply.json()["errorCode"] == "PL3005"
    assert api.post("/tasks/get", {"id": "00000000-0000-4000-8000-000000000000"}).status_code == 404
    bad = api.post(
        "/git/repositories/restore",
        {"id": _repos["team/x"], "target": {"kind": "directory", "path": "relative/path"}},
    )
    assert bad.status_code in (400, 409)


def test_cancel_stops_a_running_backup_promptly(api: Api, runtime: Runtime, tmp_path: Path) -> None:
    make_sources(tmp_path / "git", ("slow",))
    hold = tmp_path / "hold"
    hold.mkdir()
    script = tmp_path / "pre.sh"
    script.write_text(f"#!/bin/sh\necho waiting\nwhile [ ! -e {hold}/go ]; do sleep 0.05; done\n")
    script.chmod(0o755)
    actions = {
        "preBackupAction": {
            "unix": {"enabled": True, "command": "/bin/sh", "arguments": str(script)},
            "waitForExecution": True,
            "waitingInterval": 0,
        }
    }
    _org, _repos, plan = organization_with_plan(api, tmp_path / "git", customActions=actions)
    (task_id,) = api.ok("/plans/run", {"id": plan})["taskIds"]
    _wait_status(api, task_id, 5)
    api.ok("/plans/cancel", {"id": plan})
    (task,) = wait_tasks(api, [task_id], timeout=20)
    assert task["status"] == 4, task
    assert "cancel" in task["logs"][-1]["message"]
    assert api.post("/tasks/cancel", {"id": task_id}).json()["errorCode"] == "TK6002"


def _wait_status(api: Api, task_id: str, status: int) -> None:
    deadline = time.monotonic() + 30
    while api.ok("/tasks/get", {"id": task_id})["status"] != status:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_custom_actions_and_webhook_notification(
    api: Api, platforms: Platforms, tmp_path: Path
) -> None:
    make_sources(tmp_path / "git", ("acted",))
    marker = tmp_path / "post.txt"
    actions = {
        "preBackupAction": {
            "unix": {"enabled": True, "command": "/bin/echo", "arguments": "before the backup"},
            "waitForExecution": True,
        },
        "postSnapshotAction": {
            "unix": {
                "enabled": True,
                "command": "/bin/sh",
                "arguments": f"-c 'echo $REPOVAULT_SNAPSHOT_ID > {marker}'",
            },
            "waitForExecution": True,
        },
        "postBackupAction": {
            "unix": {"enabled": True, "command": "/bin/false"},
            "waitForExecution": True,
        },
    }
    notifications = {"enabled": True, "recipients": ["https://hooks.example.com/services/T0/B0"]}
    _org, _repos, plan = organization_with_plan(
        api, tmp_path / "git", customActions=actions, notificationSettings=notifications
    )
    (task,) = wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
    messages = [line["message"] for line in task["logs"]]
    assert "preBackupAction: before the backup" in messages
    assert task["status"] == 2  # the failing post-backup action is a warning
    assert any("postBackupAction" in m and "status 1" in m for m in messages)
    assert marker.read_text().strip() == task["result"]["snapshotId"]
    deadline = time.monotonic() + 10
    while not platforms.webhooks and time.monotonic() < deadline:
        time.sleep(0.05)
    (request,) = platforms.webhooks
    sent = json.loads(request.content)
    assert sent["planId"] == plan
    assert sent["warnings"] == 1
    assert "finished with warnings" in sent["text"]


def test_tasks_rows_are_the_authority(runtime: Runtime, api: Api, tmp_path: Path) -> None:
    """A duplicate message for a finished task changes nothing."""
    make_sources(tmp_path / "git", ("dup",))
    _org, _repos, plan = organization_with_plan(api, tmp_path / "git")
    (task_id,) = api.ok("/plans/run", {"id": plan})["taskIds"]
    (first,) = wait_tasks(api, [task_id])
    system = api.client.app.state.tasks  # type: ignore[attr-defined]
    system.run_task(task_id)  # a duplicate delivery
    system.run_task(task_id)
    (after,) = wait_tasks(api, [task_id])
    assert after == first
    with runtime.db.session() as session:
        assert len(session.scalars(select(Task).where(Task.plan_id == plan)).all()) == 1
    assert api.ok("/git/repositories/snapshots", {"id": _repos["team/dup"]})["totalEntries"] == 1


def test_a_plan_backs_up_the_organizations_wikis(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    make_sources(tmp_path / "git", ("app",))
    wiki_source = make_sources(tmp_path / "wikis", ("handbook",))["team/handbook"]
    org, _repos, plan = organization_with_plan(api, tmp_path / "git")
    with runtime.db.session(write=True) as session:
        wiki = Wiki(organization_id=org, server_id="w-1", name="Handbook", url=wiki_source.as_uri())
        session.add(wiki)
        session.flush()
        wiki_id = wiki.id
    tasks = wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
    assert [t["status"] for t in tasks] == [1, 1], [t["logs"] for t in tasks]
    (wiki_task,) = [t for t in tasks if t["repositoryId"] is None]
    assert wiki_task["result"]["wikiId"] == wiki_id
    with runtime.db.session() as session:
        storage = session.scalars(select(Storage).where(Storage.is_default)).one()
    vault = Vault(open_backend(storage, runtime.box), f"wikis/{wiki_id}/{plan}/")
    restore_to_directory(vault, tmp_path / "wiki.git")
    assert refs_and_objects(tmp_path / "wiki.git") == refs_and_objects(wiki_source)


def test_retention_runs_after_each_backup(api: Api, tmp_path: Path) -> None:
    sources = make_sources(tmp_path / "git", ("kept",))
    schedule = {
        "scheme": 1,
        "options": [],
        "retention": {"rule": 2, "options": [{"number": 2, "period": 1, "type": 0}]},
    }
    _org, repos, plan = organization_with_plan(api, tmp_path / "git", schedule=schedule)
    repo = repos["team/kept"]
    for round_ in range(3):
        if round_:
            commit_into(sources["team/kept"], tmp_path / f"clone{round_}")
        (task,) = wait_tasks(api, api.ok("/plans/run", {"id": plan, "kind": 1})["taskIds"])
        assert task["status"] == 1, task["logs"]
    kept = api.ok("/git/repositories/snapshots", {"id": repo})["result"]
    assert [s["kind"] for s in kept] == ["full", "full"]  # the oldest full was pruned
    assert any("retention removed 1 snapshot" in line["message"] for line in task["logs"])


def test_old_task_history_is_forgotten_but_backups_stay_reachable(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    sources = make_sources(tmp_path / "git", ("old",))
    _org, repos, plan = organization_with_plan(api, tmp_path / "git")
    wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
    long_ago = 1_000_000  # 1970: far older than the 90 days kept
    with runtime.db.session(write=True) as session:
        session.execute(update(Task).values(finished_at=long_ago))
    api.client.app.state.tasks.reconcile()  # type: ignore[attr-defined]
    assert api.ok("/tasks/getmany", {})["totalEntries"] == 0
    repo = repos["team/old"]
    assert api.ok("/git/repositories/snapshots", {"id": repo})["totalEntries"] == 1
    target = tmp_path / "restored.git"
    restore = api.ok(
        "/git/repositories/restore",
        {"id": repo, "target": {"kind": "directory", "path": str(target)}},
    )
    assert wait_tasks(api, [restore["taskId"]])[0]["status"] == 1
    assert refs_and_objects(target) == refs_and_objects(sources["team/old"])
