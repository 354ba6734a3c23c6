"""Tasks and repositories by name, not id (issue 14): a task reads "Backup of org/repo" with
its plan's name, times are relative with the exact time on hover, a task's log to the second,
and a finished task's Cancel button is gone from the page and from the fragment htmx polls."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import update

from repovault.common.clock import now_ms
from repovault.common.enums import TaskStatus
from repovault.runtime import Runtime
from repovault.tasks.models import Task
from tests.api.world import add_org, add_plan, add_repos, record_backup
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api

WHEN = int(datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC).timestamp() * 1000)


def test_tasks_and_repositories_by_name(api: Api, runtime: Runtime) -> None:
    org = add_org(api, name="acme")
    other = add_org(api, name="other")
    repo = add_repos(api, org, 1, prefix="widgets")[0]
    add_repos(api, other, 2)
    plan = add_plan(api, org, name="Nightly")
    done = record_backup(runtime, plan, repo)
    with runtime.db.session(write=True) as session:
        session.execute(
            update(Task).where(Task.id == done).values(started_at=WHEN, finished_at=WHEN)
        )
        worker = session.get(Task, done).worker_id  # type: ignore[union-attr]
        live = Task(
            kind="backup",
            status=TaskStatus.RUNNING,
            plan_id=plan,
            repository_id=repo,
            worker_id=worker,
            started_at=now_ms(),
            heartbeat_at=now_ms(),
        )
        session.add(live)
        session.flush()
        running = live.id
    # The platform's full name (here `team/widgets-...`), not the id.
    repo_name = api.ok("/git/repositories/getmany", {"id": org})["result"]["repositories"][0][
        "name"
    ]
    client = api.client
    client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})

    listing = client.get("/console/tasks").text
    assert f">Backup of {repo_name}</a>" in listing
    assert ">Nightly</a>" in listing
    assert f">{done[:8]}<" not in listing
    assert '<time datetime="2026-03-04T05:06:07+00:00" title="2026-03-04 05:06:07 UTC">' in listing
    assert re.search(r'title="2026-03-04 05:06:07 UTC">\d+ (day|days) ago</time>', listing)

    page = client.get(f"/console/tasks/{running}").text
    assert f"<h1>Backup of {repo_name}</h1>" in page
    assert 'id="cancel"' in page
    assert f">{repo_name}</h1>" in client.get(f"/console/repositories/{repo}").text
    assert f"Backup of {repo_name}" in client.get("/console").text

    with runtime.db.session(write=True) as session:
        session.execute(
            update(Task)
            .where(Task.id == running)
            .values(status=TaskStatus.SUCCEEDED, finished_at=now_ms())
        )
    assert 'id="cancel"' not in client.get(f"/console/tasks/{running}").text
    fragment = client.get(f"/console/tasks/{running}", headers={"HX-Request": "true"}).text
    assert 'id="cancel"' not in fragment
