"""Benchmark: a plan run over an organization of 10,000 GitHub repositories where nothing
changed, end to end through the task system on one worker, with the platform's last-change
time (`pushed_at`, runner/unchanged.py) beside the same run on the ls-remote path.

The platform is the fake GitHub of the tests (recorded shapes: tests/providers/recorded/)
served in-process through httpx.MockTransport; its repositories' `clone_url`s point at a few
bare repositories on disk, shared. Before the measured runs, each repository's state is what
a previous good run leaves: a snapshot in its vault (one real backup per shared source,
copied into every vault, whose manifests hold no prefix) and its `repository_vaults` row
(the listing time that run saw, when its git began). Counted in each run: wall time from the
run's creation to its last task's end, platform requests, git processes started.

    .venv/bin/python bench/unchanged.py [--repos 10000] [--ls-remote-repos 10000]
        [--threads 4] [--sources 10]
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, update

from repovault.app import prepare
from repovault.backends.local import LocalBackend
from repovault.common.clock import now_ms
from repovault.common.enums import ChoiceMode, TaskStatus
from repovault.config import Settings
from repovault.engine.backup import backup
from repovault.engine.layout import vault_prefix
from repovault.engine.vault import Vault
from repovault.logs import configure_logging
from repovault.organizations.models import Organization
from repovault.plans.membership import refresh_plan
from repovault.plans.models import ITEM_REPOSITORY, Plan, PlanItem
from repovault.plans.running import run_plan
from repovault.repositories.models import Repository
from repovault.runner import unchanged
from repovault.runner.loop import TaskSystem
from repovault.runner.sync import synchronize
from repovault.runtime import Runtime, build_runtime
from repovault.storages.models import Storage
from repovault.tasks.models import RepositoryVault, Task
from repovault.workers.models import Worker
from tests.providers.fake_github import FakeGitHub, repository

TARGET_SECONDS = 30.0
TARGET_REQUESTS = 110
PUSHED = "2026-11-30T12:00:00Z"


class GitCount:
    """Counts the git processes started (every git of the engine goes through Popen)."""

    def __init__(self) -> None:
        self.count = 0
        self._popen = subprocess.Popen

    def __enter__(self) -> GitCount:
        original, counter = self._popen, self

        class Counted(original):  # type: ignore[valid-type,misc]
            def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
                if isinstance(args, list | tuple) and args and str(args[0]) == "git":
                    counter.count += 1
                super().__init__(args, *rest, **kwargs)

        subprocess.Popen = Counted  # type: ignore[misc]
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.Popen = self._popen  # type: ignore[misc]


def make_sources(folder: Path, count: int) -> list[Path]:
    seed = folder / "seed"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True)
    (seed / "README.md").write_text("bench\n")
    subprocess.run(["git", "-C", str(seed), "add", "."], check=True)
    who = ["-c", "user.name=b", "-c", "user.email=b@x"]
    subprocess.run(["git", "-C", str(seed), *who, "commit", "-q", "-m", "one"], check=True)
    sources = []
    for i in range(count):
        bare = folder / f"shared-{i}.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
        sources.append(bare)
    return sources


def _runtime(data: Path, fake: FakeGitHub, threads: int, every: int) -> Runtime:
    settings = Settings(
        data_dir=data,
        admin_email="b@example.org",
        admin_password="bench-password",
        password_time_cost=1,
        password_memory_kib=64,
        sync_interval_minutes=0,
        worker_threads=threads,
        worker_mode="thread",
        unchanged_git_every=every,
    )
    built = build_runtime(settings)
    built.http.close()
    return dataclasses.replace(built, http=fake.client())


def _setup(runtime: Runtime, fake: FakeGitHub, threads: int) -> tuple[str, str]:
    """The organization (synchronized, every repository licensed) and its plan."""
    prepare(runtime)
    with runtime.db.session(write=True) as session:
        storage = session.scalars(select(Storage).where(Storage.is_default)).one()
        worker = session.scalars(select(Worker)).one()
        org = Organization(
            driver=1,
            name="big",
            token_sealed=runtime.box.seal("ghp_bench"),
            auto_add_new_repositories=True,
        )
        session.add(org)
        session.flush()
        plan = Plan(
            organization_id=org.id,
            name="nightly",
            backup_type=5,
            include_metadata=False,
            git_choice_mode=ChoiceMode.ALL,
            storage_id=storage.id,
            worker_id=worker.id,
            settings={"advancedOptions": {"maxConcurrentTasks": str(threads * 4)}},
        )
        session.add(plan)
        session.flush()
        org_id, plan_id = org.id, plan.id
    synchronize(runtime, org_id)
    with runtime.db.session(write=True) as session:
        session.execute(update(Repository).values(licence_active=True))
        plan = session.get(Plan, plan_id)
        assert plan is not None
        refresh_plan(session, plan)
    return org_id, plan_id


def _good_state(
    runtime: Runtime, plan_id: str, sources: list[Path], repos: list[tuple[str, str]]
) -> None:
    """What a previous good run leaves: a snapshot in each vault, and its vault row."""
    storage = runtime.settings.data_dir / "storage"
    templates = []
    for i, source in enumerate(sources):
        prefix = f"bench-template/{i}/"
        backup(url=source.as_uri(), vault=Vault(LocalBackend(storage), prefix), cache=storage / "c")
        templates.append(storage / prefix)
    for repository_id, url in repos:
        index = next(i for i, s in enumerate(sources) if s.as_uri() == url)
        shutil.copytree(templates[index], storage / vault_prefix(repository_id, plan_id))
    pushed = int(time.mktime(time.strptime(PUSHED, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone) * 1000
    began = now_ms()
    with runtime.db.session(write=True) as session:
        session.add_all(
            RepositoryVault(
                repository_id=repository_id,
                plan_id=plan_id,
                last_success=began,
                signal_at=pushed,
                git_started_at=began,
                runs_without_git=0,
            )
            for repository_id, _ in repos
        )


def _open_tasks(runtime: Runtime, run_ids: list[str]) -> int:
    with runtime.db.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    Task.id.in_(run_ids),
                    Task.status.in_((TaskStatus.QUEUED, TaskStatus.RUNNING)),
                )
            )
            or 0
        )


@dataclasses.dataclass
class Measured:
    repositories: int
    seconds: float
    requests: int
    git: int
    without_git: int
    failed: int


def _measure(runtime: Runtime, fake: FakeGitHub, plan_id: str) -> Measured:
    system = TaskSystem(runtime, worker=True, coordinator=True)
    system.start()
    try:
        before = len(fake.requests)
        with GitCount() as git:
            started = time.perf_counter()
            with runtime.db.session(write=True) as session:
                ids = run_plan(runtime, session, plan_id=plan_id, kind=None)
            runtime.wake.set()
            while _open_tasks(runtime, ids):
                time.sleep(0.2)
            seconds = time.perf_counter() - started
    finally:
        system.stop()
    with runtime.db.session() as session:
        rows = session.execute(select(Task.status, Task.result).where(Task.id.in_(ids))).all()
    return Measured(
        repositories=len(ids),
        seconds=seconds,
        requests=len(fake.requests) - before,
        git=git.count,
        without_git=sum(1 for _, result in rows if (result or {}).get(unchanged.WITHOUT_GIT)),
        failed=sum(1 for status, _ in rows if status not in (TaskStatus.SUCCEEDED,)),
    )


def _only(runtime: Runtime, plan_id: str, count: int) -> list[tuple[str, str]]:
    """Narrow the plan to its first `count` repositories (by name); them, (id, url)."""
    with runtime.db.session(write=True) as session:
        repos = session.execute(
            select(Repository.id, Repository.url).order_by(Repository.name).limit(count)
        ).all()
        plan = session.get(Plan, plan_id)
        assert plan is not None
        if count < session.scalar(select(func.count()).select_from(Repository)):
            plan.git_choice_mode = ChoiceMode.INDIVIDUAL
            session.add_all(
                PlanItem(plan_id=plan_id, kind=ITEM_REPOSITORY, item_id=rid, position=i)
                for i, (rid, _) in enumerate(repos)
            )
            session.flush()
        refresh_plan(session, plan)
    return [(rid, url) for rid, url in repos]


def one_path(root: Path, args: argparse.Namespace, every: int, count: int) -> Measured:
    sources = sorted(root.glob("src/shared-*.git"))
    fake = FakeGitHub()
    fake.pushed_from_disk = False  # the recorded time, as set below
    fake.orgs["big"] = []
    for i in range(1, args.repos + 1):
        item = repository(i, f"big/repo-{i:05d}")
        item.update(clone_url=sources[i % len(sources)].as_uri(), has_wiki=False, pushed_at=PUSHED)
        fake.orgs["big"].append(item)
    runtime = _runtime(root / f"server-{every}", fake, args.threads, every)
    try:
        _, plan_id = _setup(runtime, fake, args.threads)
        _good_state(runtime, plan_id, sources, _only(runtime, plan_id, count))
        unchanged.forget()
        return _measure(runtime, fake, plan_id)
    finally:
        runtime.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=10_000)
    parser.add_argument("--ls-remote-repos", type=int, default=None)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--sources", type=int, default=10)
    parser.add_argument("--only-signal", action="store_true", help="skip the ls-remote path")
    args = parser.parse_args()
    configure_logging(level=40)
    root = Path(tempfile.mkdtemp(prefix="repovault-bench-unchanged-"))
    try:
        make_sources(root / "src", args.sources)
        signal = one_path(root, args, every=10, count=args.repos)
        if args.only_signal:
            print(signal)
            return 0
        ls_remote = one_path(root, args, every=0, count=args.ls_remote_repos or args.repos)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{args.repos} repositories listed, nothing changed, one worker ({args.threads} threads)")
    print(f"{'':34}{'platform time':>16}{'ls-remote':>16}")
    rows: list[tuple[str, Any, Any]] = [
        ("repositories in the run", signal.repositories, ls_remote.repositories),
        ("wall time, end to end (s)", f"{signal.seconds:.1f}", f"{ls_remote.seconds:.1f}"),
        (
            "per repository (ms)",
            f"{signal.seconds / signal.repositories * 1000:.2f}",
            f"{ls_remote.seconds / ls_remote.repositories * 1000:.2f}",
        ),
        ("platform requests", signal.requests, ls_remote.requests),
        ("git processes", signal.git, ls_remote.git),
        ("confirmed without git", signal.without_git, ls_remote.without_git),
        ("tasks not succeeded", signal.failed, ls_remote.failed),
    ]
    for label, left, right in rows:
        print(f"  {label:32}{left!s:>16}{right!s:>16}")
    if ls_remote.repositories < signal.repositories:
        scale = signal.repositories / ls_remote.repositories
        print(
            f"  ls-remote at {signal.repositories} (x{scale:.0f}, linear): "
            f"{ls_remote.seconds * scale:.0f} s"
        )
    ok = (
        signal.seconds < TARGET_SECONDS
        and signal.requests <= TARGET_REQUESTS
        and signal.git == 0
        and signal.failed == 0
    )
    print(
        f"  target: under {TARGET_SECONDS:.0f} s, at most ~{TARGET_REQUESTS} requests, "
        f"no git: {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
