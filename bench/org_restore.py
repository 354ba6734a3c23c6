"""Benchmark: the call that restores an organization at a point in time
(`/git/organizations/restore`, issue 12 §3), as a dry run, on SQLite and the local storage:
`--repos` repositories with `--snapshots` snapshots each (manifests written as a backup leaves
them), the time asked in the middle of their history. The call picks each repository's
snapshot before answering, so its cost grows with the repositories; the baseline beside it
is reading every manifest of every vault (what choosing by `createdAt` alone would cost).

    .venv/bin/python bench/org_restore.py [--repos 200] [--snapshots 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, select

from repovault.app import prepare
from repovault.config import Settings
from repovault.engine.layout import vault_prefix
from repovault.engine.manifest import Content, Manifest, snapshot_id
from repovault.engine.vault import Vault
from repovault.logs import configure_logging
from repovault.organizations.models import Organization
from repovault.repositories import vaults
from repovault.repositories.org_restore import restore_organization
from repovault.repositories.schemas import OrganizationRestoreRequest
from repovault.runtime import Runtime, build_runtime
from repovault.storages.models import Storage
from repovault.storages.service import open_backend
from repovault.tasks.models import RepositoryVault, Task
from tests.tasks.rows import Rows

START = datetime(2026, 1, 1, tzinfo=UTC)


def populate(runtime: Runtime, repos: int, snapshots: int) -> tuple[str, str]:
    """The source organization (GitHub) and a target one (Gitea), both ids."""
    with runtime.db.session(write=True) as session:
        rows = Rows(session, runtime)
        org = rows.org(driver=1)
        target = Organization(driver=5, name="target", api_url="https://forge.example.com/api/v1")
        session.add(target)
        repositories = [rows.repo(org) for _ in range(repos)]
        plan = rows.plan(org, repos=repositories)
        storage = session.scalars(select(Storage).where(Storage.is_default)).one()
        backend = open_backend(storage, runtime.box)
        for repository in repositories:
            session.add(RepositoryVault(repository_id=repository.id, plan_id=plan.id))
            vault = Vault(backend, vault_prefix(repository.id, plan.id))
            for n in range(snapshots):
                taken = START + timedelta(days=n)
                vault.write_manifest(
                    Manifest(
                        id=snapshot_id(taken),
                        repository=f"https://github.com/acme/{repository.name}.git",
                        kind="full",
                        parent=None,
                        created_at=int((taken + timedelta(seconds=30)).timestamp() * 1000),
                        codec="zstd",
                        level=2,
                        encrypted=False,
                        objects=[],
                        content=Content(head=None, refs={}, object_count=0),
                    )
                )
        return org.id, target.id


def timed_call(runtime: Runtime, org: str, target: str, at: str) -> tuple[float, int]:
    body = OrganizationRestoreRequest.model_validate(
        {"id": org, "at": at, "target": {"organizationId": target, "dryRun": True}}
    )
    with runtime.db.session() as session:
        started = time.perf_counter()
        answer = restore_organization(runtime, session, body)
        elapsed = time.perf_counter() - started
    with runtime.db.session(write=True) as session:  # the same state for the next round
        session.execute(delete(Task).where(Task.id.in_(answer.task_ids)))
    return elapsed, len(answer.task_ids)


def every_manifest(runtime: Runtime) -> float:
    with runtime.db.session() as session:
        ids = session.scalars(select(RepositoryVault.repository_id)).all()
    started = time.perf_counter()
    for repository_id in ids:
        for _plan, vault in vaults.snapshot_vaults(runtime, repository_id):
            vault.manifests()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--snapshots", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configure_logging(level=40)
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="repovault-bench-orgrestore-")),
        admin_email="b@example.org",
        admin_password="bench-password",
    )
    runtime = build_runtime(settings)
    prepare(runtime)
    org, target = populate(runtime, args.repos, args.snapshots)
    at = (START + timedelta(days=args.snapshots // 2, hours=12)).isoformat()
    calls, baseline = [], []
    for _ in range(args.rounds):
        elapsed, queued = timed_call(runtime, org, target, at)
        assert queued == args.repos, queued
        calls.append(elapsed)
        baseline.append(every_manifest(runtime))
    with runtime.db.session() as session:
        assert not session.scalars(select(Task.id).where(Task.kind == "restore")).first()
    runtime.close()
    call, base = statistics.median(calls), statistics.median(baseline)
    print(f"  {args.repos} repositories x {args.snapshots} snapshots, median of {args.rounds}")
    for label, seconds in (
        ("/git/organizations/restore (dry run)", call),
        ("baseline, every manifest read", base),
    ):
        each = seconds / args.repos * 1000
        print(f"  {label:38} {seconds:7.3f} s  {each:6.2f} ms a repository")
    return 0


if __name__ == "__main__":
    sys.exit(main())
