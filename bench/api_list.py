"""Benchmark: list calls over 100,000 repositories on the embedded default (SQLite).

Starts a real `repovault serve` process on loopback with a database holding one organization
of 100,000 repositories, then times, side by side in one run, the trivial authenticated call
`/account/me` (the baseline: HTTP, JSON, token check) and `/git/repositories/getmany` pages
of 100 with a filter and an ordering. It then counts the SQL statements of
`/git/organizations/getmany` over 50 organizations with 200 plans (in-process) and checks
that the count does not grow with the data.

    .venv/bin/python bench/api_list.py [--repos 100000] [--requests 300]

Exits non-zero when a target is missed: median page under 20 ms, constant statement count.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, insert

from repovault.app import create_app, prepare
from repovault.common.ids import new_id
from repovault.config import Settings
from repovault.organizations.models import Organization
from repovault.repositories.models import Repository
from repovault.runtime import build_runtime

TARGET_MEDIAN_MS = 20.0
ADMIN = {"email": "bench@example.org", "password": "bench-password"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def populate(settings: Settings, repos: int) -> str:
    runtime = build_runtime(settings)
    prepare(runtime)
    rng = random.Random(7)
    org_id = new_id()
    with runtime.db.session(write=True) as session:
        session.add(Organization(id=org_id, driver=1, name="big-org"))
        session.flush()
        batch: list[dict[str, Any]] = []
        for i in range(repos):
            removed = rng.random() < 0.1
            batch.append(
                {
                    "id": new_id(),
                    "organization_id": org_id,
                    "server_id": str(i),
                    "name": f"big-org/{rng.choice(['api', 'web', 'lib', 'tool'])}-{i:06d}",
                    "url": f"https://github.com/big-org/repo-{i}.git",
                    "is_removed": removed,
                    "status": 2 if removed else 1,
                    "licence_active": rng.random() < 0.3,
                    "last_backup": rng.randrange(10**12),
                }
            )
            if len(batch) == 10_000:
                session.execute(insert(Repository), batch)
                batch.clear()
        if batch:
            session.execute(insert(Repository), batch)
    runtime.db.engine.dispose()
    return org_id


def time_calls(
    client: httpx.Client, token: str, cases: dict[str, tuple[str, Any]], rounds: int
) -> dict[str, list[float]]:
    """Calls every case once per round, in turn, so all share the same conditions."""
    headers = {"Authorization": f"Bearer {token}"}
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (path, body) in cases.items():
            start = time.perf_counter()
            response = client.post(path, json=body() if callable(body) else body, headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            response.raise_for_status()
            timings[name].append(elapsed)
    return timings


def count_statements(settings: Settings) -> tuple[int, int]:
    """Statements of organizations/getmany with 5 organizations, then with 50 and 200 plans."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's advice to use httpx2 in its test client
        from fastapi.testclient import TestClient

    runtime = build_runtime(settings)
    counts = []
    with TestClient(create_app(runtime=runtime)) as client:
        token = client.post("/account/login", json=ADMIN).json()["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}

        def add(organizations: int, plans_each: int) -> None:
            for _ in range(organizations):
                org = client.post(
                    "/git/organizations/add", headers=headers, json={"driver": 6, "name": new_id()}
                ).json()["id"]
                ids = client.post(
                    "/git/repositories/add",
                    headers=headers,
                    json={
                        "organizationId": org,
                        "urls": [f"https://git.example.com/{new_id()}.git" for _ in range(4)],
                    },
                ).json()["ids"]
                for _ in range(plans_each):
                    client.post(
                        "/plans/creategitplan",
                        headers=headers,
                        json={"name": new_id(), "organizationId": org, "repositoriesIds": ids[:2]},
                    )

        for organizations, plans_each in ((4, 1), (45, 4)):
            add(organizations, plans_each)
            statements: list[str] = []

            def record(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
                if not statement.startswith(("BEGIN", "PRAGMA")):
                    statements.append(statement)  # noqa: B023

            event.listen(runtime.db.engine, "before_cursor_execute", record)
            reply = client.post("/git/organizations/getmany", headers=headers, json={"limit": 100})
            event.remove(runtime.db.engine, "before_cursor_execute", record)
            reply.raise_for_status()
            counts.append(len(statements))
    runtime.db.dispose()
    return counts[0], counts[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="repovault-bench-"))
    env = {
        **os.environ,
        "REPOVAULT_DATA_DIR": str(workdir),
        "REPOVAULT_PORT": str(free_port()),
        "REPOVAULT_ADMIN_EMAIL": ADMIN["email"],
        "REPOVAULT_ADMIN_PASSWORD": ADMIN["password"],
    }
    settings = Settings(
        data_dir=workdir, admin_email=ADMIN["email"], admin_password=ADMIN["password"]
    )
    started = time.perf_counter()
    org_id = populate(settings, args.repos)
    print(f"populated {args.repos} repositories in {time.perf_counter() - started:.1f} s")

    server = subprocess.Popen(
        [sys.executable, "-m", "repovault", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{env['REPOVAULT_PORT']}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(100):
                try:
                    token = client.post("/account/login", json=ADMIN).json()["accessToken"]
                    break
                except (httpx.HTTPError, KeyError):
                    time.sleep(0.1)
            else:
                raise SystemExit("the server did not start")
            rng = random.Random(11)
            removed_false = [{"property": "isRemoved", "operator": "eq", "value": False}]
            cases: dict[str, tuple[str, Any]] = {
                "baseline /account/me": ("/account/me", {}),
                "getmany p1 filter+order": (
                    "/git/repositories/getmany",
                    {
                        "id": org_id,
                        "limit": 100,
                        "orderby": "Name",
                        "ordertype": "asc",
                        "filters": removed_false,
                    },
                ),
                "getmany random p<=100 desc": (
                    "/git/repositories/getmany",
                    lambda: {
                        "id": org_id,
                        "limit": 100,
                        "page": rng.randint(1, 100),
                        "orderby": "name",
                        "ordertype": "desc",
                        "filters": removed_false,
                    },
                ),
                "getmany protected by lastBackup": (
                    "/git/repositories/getmany",
                    {
                        "id": org_id,
                        "limit": 100,
                        "orderby": "lastBackup",
                        "filters": [{"property": "isProtected", "operator": "eq", "value": True}],
                    },
                ),
                "getmany name contains": (
                    "/git/repositories/getmany",
                    {
                        "id": org_id,
                        "limit": 100,
                        "filters": [{"property": "name", "operator": "contains", "value": "api-0"}],
                    },
                ),
            }
            time_calls(client, token, cases, 10)  # warm-up
            timings = time_calls(client, token, cases, args.requests)
    finally:
        server.terminate()
        server.wait(10)

    baseline = statistics.median(timings["baseline /account/me"])
    print(f"\n{'call':34} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11}")
    worst = 0.0
    for name, values in timings.items():
        values.sort()
        median = statistics.median(values)
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"{name:34} {median:10.2f} {p95:8.2f} {median / baseline:11.2f}")
        if name.startswith("getmany p1") or name.startswith("getmany random"):
            worst = max(worst, median)

    small, large = count_statements(settings)
    print(
        f"\norganizations/getmany SQL statements: {small} with 4 organizations and 4 plans, "
        f"{large} with 49 organizations and 184 plans"
    )
    ok = worst < TARGET_MEDIAN_MS and small == large
    print(
        f"target: median page of 100 under {TARGET_MEDIAN_MS} ms and constant statements: "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
