"""The user's path through the API, shared by the embedded and scaled-out end-to-end tests:
repositories in a folder -> driver-6 organization -> sync -> activate -> plan -> run."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any, Protocol

from tests.engine.repos import ENV, commit, git, tricky_repository

FINISHED = {1, 2, 3, 4, 7}


class Client(Protocol):
    def ok(self, path: str, body: Any = None, **kwargs: Any) -> Any: ...


def held_after_snapshot(folder: Path) -> tuple[dict[str, Any], Path, Path]:
    """Custom actions that hold a backup after its snapshot is written, until told to go on:
    (the plan's `customActions`, the file that appears once it holds, the file that releases
    it). The moment a crash test kills a worker."""
    started, release = folder / "started", folder / "release"
    script = folder / "post-snapshot.sh"
    script.write_text(
        f"#!/bin/sh\ntouch {started}\nwhile [ ! -e {release} ]; do sleep 0.05; done\n"
    )
    actions: dict[str, Any] = {
        "postSnapshotAction": {
            "unix": {"enabled": True, "command": "/bin/sh", "arguments": str(script)},
            "waitForExecution": True,
        }
    }
    return actions, started, release


def make_sources(folder: Path, names: tuple[str, ...] = ("app", "lib", "docs")) -> dict[str, Path]:
    """Bare repositories with tricky content (tags, notes, refs/pull/*, orphan branches)."""
    work = folder.parent / f"{folder.name}-work"
    sources = {}
    for index, name in enumerate(names):
        tree = tricky_repository(work / name)
        commit(tree, f"commit of {name}", {f"{name}.txt": f"{name} {index}\n".encode()})
        bare = folder / "team" / f"{name}.git"
        subprocess.run(
            ["git", "clone", "-q", "--mirror", str(tree), str(bare)], check=True, env=ENV
        )
        sources[f"team/{name}"] = bare
    return sources


def organization_with_plan(
    api: Client, folder: Path, *, worker_id: str | None = None, **plan: Any
) -> tuple[str, dict[str, str], str]:
    """(organization id, repository ids by name, plan id) for the bare repositories of
    `folder`, all synchronized, activated and in one all-repositories plan."""
    org = api.ok(
        "/git/organizations/add",
        {
            "driver": 6,
            "name": f"local-{folder.name}",
            "apiUrl": folder.as_uri(),
            **({"defaultWorkerId": worker_id} if worker_id else {}),
        },
    )["id"]
    api.ok("/git/repositories/sync", {"id": org})
    deadline = time.monotonic() + 60
    while True:
        reply = api.ok("/git/repositories/getmany", {"id": org, "limit": 1000})
        if not reply["result"]["synchronizationInProgress"] and reply["totalEntries"]:
            break
        assert time.monotonic() < deadline, "synchronization did not finish"
        time.sleep(0.1)
    repos = {r["name"]: r["id"] for r in reply["result"]["repositories"]}
    api.ok("/git/repositories/activate", {"ids": list(repos.values())})
    body = {
        "name": f"plan-{folder.name}",
        "organizationId": org,
        "gitChoiceMode": 1,
        "schedule": {"scheme": 1, "options": []},
        **({"workerId": worker_id} if worker_id else {}),
        **plan,
    }
    plan_id = api.ok("/plans/creategitplan", body)["id"]
    return org, repos, plan_id


def wait_tasks(api: Client, task_ids: list[str], timeout: float = 120) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        tasks = [api.ok("/tasks/get", {"id": task_id}) for task_id in task_ids]
        if all(t["status"] in FINISHED for t in tasks):
            return tasks
        if time.monotonic() > deadline:
            raise AssertionError(f"tasks still open: {[(t['id'], t['status']) for t in tasks]}")
        time.sleep(0.2)


def refs_and_objects(repo: Path) -> tuple[dict[str, str], set[str]]:
    """Every ref, and every object in the repository (reachable or not)."""
    refs = {}
    for line in git(repo, "for-each-ref", "--format=%(objectname) %(refname)").splitlines():
        oid, name = line.split(" ", 1)
        refs[name] = oid
    objects = git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    return refs, set(objects.split())
