"""Errors that a retry cannot fix fail a task on its first attempt; transient ones retry.

Restore tasks take the default retry policy (3 retries, 60 s apart), so a damaged restore
that were retried would take minutes: these tests wait for the first attempt's verdict."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

from repovault.runtime import Runtime
from tests.conftest import Api
from tests.e2e.flow import make_sources, organization_with_plan, wait_tasks
from tests.e2e.test_embedded import commit_into


def _first_verdict(api: Api, task_id: str, timeout: float = 60) -> dict[str, Any]:
    """The task once it has ended, or as soon as its first attempt was sent back for a retry."""
    deadline = time.monotonic() + timeout
    while True:
        task: dict[str, Any] = api.ok("/tasks/get", {"id": task_id})
        retried = any("retrying" in line["message"] for line in task["logs"])
        if task["status"] in (1, 2, 3, 4, 7) or retried:
            return task
        assert time.monotonic() < deadline, task
        time.sleep(0.1)


def _backed_up(api: Api, tmp_path: Path, **plan: Any) -> tuple[str, str, list[str]]:
    """A repository with two snapshots (full, incremental): (repository id, plan id, snapshot
    ids oldest first)."""
    sources = make_sources(tmp_path / "git", ("app",))
    _org, repos, plan_id = organization_with_plan(api, tmp_path / "git", **plan)
    wait_tasks(api, api.ok("/plans/run", {"id": plan_id})["taskIds"])
    commit_into(sources["team/app"], tmp_path / "clone")
    wait_tasks(api, api.ok("/plans/run", {"id": plan_id})["taskIds"])
    repository = repos["team/app"]
    listed = api.ok("/git/repositories/snapshots", {"id": repository})["result"]
    ids = sorted(s["id"] for s in listed)
    assert len(ids) == 2
    return repository, plan_id, ids


def _vault_folder(runtime: Runtime, repository: str, plan: str) -> Path:
    return runtime.settings.data_dir / "storage" / "repositories" / repository / plan


def _restore(api: Api, repository: str, target: Path, **extra: Any) -> str:
    body = {"id": repository, "target": {"kind": "directory", "path": str(target)}, **extra}
    task_id: str = api.ok("/git/repositories/restore", body)["taskId"]
    return task_id


def test_a_restore_from_damaged_storage_fails_on_its_first_attempt(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    repository, plan, ids = _backed_up(api, tmp_path)
    folder = _vault_folder(runtime, repository, plan)
    (folder / "snapshots" / ids[1] / "bundle").unlink()
    started = time.monotonic()
    task = _first_verdict(api, _restore(api, repository, tmp_path / "restored.git"))
    seconds = time.monotonic() - started
    assert task["status"] == 3, task
    assert task["attempt"] == 1
    assert ids[1] in task["error"], task["error"]
    assert "bundle is missing" in task["error"]
    assert "retry cannot fix" in task["logs"][-1]["message"]
    assert not (tmp_path / "restored.git").exists()
    print(f"damaged restore answered in {seconds:.2f} s")


def test_the_newest_snapshot_without_its_manifest_is_named_not_skipped(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    repository, plan, ids = _backed_up(api, tmp_path)
    folder = _vault_folder(runtime, repository, plan)
    (folder / "snapshots" / ids[1] / "manifest.json").unlink()

    refused = _first_verdict(api, _restore(api, repository, tmp_path / "newest.git"))
    assert refused["status"] == 3, refused
    assert refused["attempt"] == 1
    assert ids[1] in refused["error"], refused["error"]
    assert "manifest.json is missing" in refused["error"]
    assert not (tmp_path / "newest.git").exists()

    named = _first_verdict(
        api, _restore(api, repository, tmp_path / "named.git", snapshotId=ids[1], allowEarlier=True)
    )
    assert named["status"] == 3, named
    assert named["attempt"] == 1
    assert ids[1] in named["error"]

    earlier = _first_verdict(
        api, _restore(api, repository, tmp_path / "earlier.git", allowEarlier=True)
    )
    assert earlier["status"] == 2, earlier  # done, with a warning saying what was skipped
    assert earlier["result"]["snapshotId"] == ids[0]
    assert earlier["result"]["passedOver"] == [ids[1]]
    warnings = [line["message"] for line in earlier["logs"] if line["level"] == "warning"]
    assert any(ids[1] in w and ids[0] in w for w in warnings), warnings
    assert (tmp_path / "earlier.git" / "HEAD").is_file()


def test_a_deleted_catalog_is_reported_by_the_verify_task_and_rebuilt(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    repository, plan, ids = _backed_up(api, tmp_path)
    catalog = _vault_folder(runtime, repository, plan) / "catalog.json"
    catalog.unlink()
    task = _first_verdict(api, api.ok("/git/repositories/verify", {"id": repository})["taskId"])
    assert task["status"] == 3, task
    assert task["attempt"] == 1
    errors = [line["message"] for line in task["logs"] if line["level"] == "error"]
    assert any("catalog.json" in e for e in errors), errors
    assert json.loads(catalog.read_text())["snapshots"] == ids
    again = _first_verdict(api, api.ok("/git/repositories/verify", {"id": repository})["taskId"])
    assert again["status"] == 1, again


def test_a_transient_error_is_still_retried(api: Api, runtime: Runtime, tmp_path: Path) -> None:
    make_sources(tmp_path / "git", ("busy",))
    _org, repos, plan = organization_with_plan(
        api,
        tmp_path / "git",
        advancedOptions={"maxTaskRetriesCount": "1", "taskRetriesFrequency": "0"},
    )
    # Another host's live lock: that backup may end any moment, so a retry can help.
    lock = _vault_folder(runtime, repos["team/busy"], plan) / "lock.json"
    lock.parent.mkdir(parents=True)
    body = {"owner": f"not-{socket.gethostname()}:1:abcd", "expires": time.time() + 600}
    lock.write_text(json.dumps(body))
    (task,) = wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
    assert task["status"] == 3, task
    assert task["attempt"] == 2, task
    assert "being backed up" in task["error"]
