"""Benchmark: a plan run over N small repositories through the whole task system (rows,
dispatch, claim, heartbeat, logs, run bookkeeping) beside the baseline of the same engine
backups called directly on the same number of threads, in the same run. The difference is
what tasks cost; a second run of unchanged repositories shows the cheap skip.

    .venv/bin/python bench/tasks.py [--repos 200] [--threads 4]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from repovault.app import prepare
from repovault.backends.local import LocalBackend
from repovault.common.enums import ChoiceMode
from repovault.config import Settings
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.vault import Vault
from repovault.logs import configure_logging
from repovault.organizations.models import Organization
from repovault.plans.membership import refresh_plan
from repovault.plans.models import Plan
from repovault.plans.running import run_plan
from repovault.repositories.models import Repository
from repovault.runner.loop import TaskSystem
from repovault.runner.sync import synchronize
from repovault.runtime import build_runtime
from repovault.storages.models import Storage
from repovault.tasks.service import wait_for
from repovault.workers.models import Worker


def make_repositories(folder: Path, count: int) -> list[Path]:
    seed = folder.parent / "seed"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True)
    for i in range(20):
        (seed / f"f{i}.txt").write_text(f"content {i}\n" * 50)
        subprocess.run(["git", "-C", str(seed), "add", "."], check=True)
        subprocess.run(
            [
                "git",
                "-C",
                str(seed),
                "-c",
                "user.name=b",
                "-c",
                "user.email=b@x",
                "commit",
                "-q",
                "-m",
                f"c{i}",
            ],
            check=True,
        )
    repos = []
    for i in range(count):
        bare = folder / "org" / f"r{i:04d}.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
        repos.append(bare)
    return repos


def baseline(repos: list[Path], threads: int, root: Path) -> float:
    storage = LocalBackend(root / "storage")
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(
            pool.map(
                lambda r: backup(
                    url=r.as_uri(),
                    vault=Vault(storage, f"repositories/{r.name}/"),
                    cache=root / "cache" / r.name,
                    options=BackupOptions(),
                ),
                repos,
            )
        )
    return time.perf_counter() - started


def through_tasks(repos_root: Path, threads: int, data: Path) -> tuple[float, float]:
    settings = Settings(
        data_dir=data,
        admin_email="b@example.org",
        admin_password="bench-password",
        password_time_cost=1,
        password_memory_kib=64,
        sync_interval_minutes=0,
        worker_threads=threads,
        task_heartbeat_seconds=1,
        worker_mode="thread",  # the task system alone; bench/load.py compares the modes
    )
    runtime = build_runtime(settings)
    prepare(runtime)
    with runtime.db.session(write=True) as session:
        storage = session.scalars(select(Storage).where(Storage.is_default)).one()
        worker = session.scalars(select(Worker)).one()
        org = Organization(
            name="bench", driver=6, api_url=repos_root.as_uri(), auto_add_new_repositories=True
        )
        session.add(org)
        session.flush()
        org_id = org.id
        plan = Plan(
            organization_id=org.id,
            name="bench",
            backup_type=5,
            git_choice_mode=ChoiceMode.ALL,
            storage_id=storage.id,
            worker_id=worker.id,
            settings={"advancedOptions": {"maxConcurrentTasks": str(threads)}},
        )
        session.add(plan)
        session.flush()
        plan_id = plan.id
    found = synchronize(runtime, org_id)
    assert len(found.added) == len(list(repos_root.glob("org/*.git"))), found
    with runtime.db.session(write=True) as session:
        for repo in session.scalars(select(Repository)):
            repo.licence_active = True
        plan = session.get(Plan, plan_id)
        assert plan is not None
        refresh_plan(session, plan)
    system = TaskSystem(runtime, worker=True, coordinator=True)
    system.start()
    timings = []
    try:
        for _ in range(2):
            started = time.perf_counter()
            with runtime.db.session(write=True) as session:
                ids = run_plan(runtime, session, plan_id=plan_id, kind=None)
            assert ids, "the plan run created no task"
            runtime.wake.set()
            done = wait_for(runtime, ids, timeout=3600)
            timings.append(time.perf_counter() - started)
            assert all(t.status == 1 for t in done), [t.error for t in done if t.status != 1]
    finally:
        system.stop()
        runtime.close()
    return timings[0], timings[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    configure_logging(level=40)
    root = Path(tempfile.mkdtemp(prefix="repovault-bench-tasks-"))
    repos = make_repositories(root / "src", args.repos)
    direct = baseline(repos, args.threads, root / "baseline")
    direct_again = baseline(repos, args.threads, root / "baseline")
    first, second = through_tasks(root / "src", args.threads, root / "server")
    print(f"{args.repos} repositories, {args.threads} threads")
    print(f"  first backups, engine called directly (baseline)  {direct:7.2f} s")
    print(f"  first backups, a plan run through the tasks       {first:7.2f} s")
    print(f"  unchanged, engine called directly (baseline)      {direct_again:7.2f} s")
    print(f"  unchanged, a plan run through the tasks           {second:7.2f} s")
    for label, tasks, plain in (("first", first, direct), ("unchanged", second, direct_again)):
        per_task = (tasks - plain) / args.repos * 1000
        print(f"  task overhead per repository ({label}): {per_task:.1f} ms ({tasks / plain:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
