"""The `copy` job: a plan's new snapshots of one repository copied to the plan's second
storage (`advancedOptions.copyStorageId`), then the plan's retention applied there too.
Queued by each backup that wrote a snapshot; resumable (engine/copy.py skips what an
interrupted copy already wrote)."""

from __future__ import annotations

from repovault.common.clock import now_ms
from repovault.common.enums import RetentionRule
from repovault.engine.copy import copy_snapshots
from repovault.engine.retention import prune
from repovault.engine.vault import Vault
from repovault.plans.models import Plan
from repovault.plans.settings import PlanSettings
from repovault.repositories.vaults import copy_storage, load_target
from repovault.runner.execute import Job, JobFailed
from repovault.runner.prune import retention_policy
from repovault.storages.service import open_backend
from repovault.tasks.service import new_task


def queue_copy(job: Job, plan: Plan, repository_id: str) -> None:
    """After a backup that wrote a snapshot: the copy task, when the plan keeps a copy."""
    if PlanSettings.of(plan).copy_storage_id is None:
        return
    with job.runtime.db.session(write=True) as session:
        task = new_task(
            session,
            kind="copy",
            worker_id=job.task.worker_id,
            plan=session.get(Plan, plan.id),
            repository_id=repository_id,
            not_before=now_ms(),
        )
    job.log("info", f"copy to the plan's second storage queued (task {task.id})")
    job.runtime.wake.set()


def run_copy(job: Job) -> None:
    target = load_target(job.runtime, job.task.repository_id, job.task.plan_id)
    with job.runtime.db.session() as session:
        storage = copy_storage(session, target.plan)
    if storage is None:
        raise JobFailed("the plan no longer names a second storage", permanent=True)
    source = target.vault(job.runtime)
    copy = Vault(open_backend(storage, job.runtime.box), source.prefix, password=target.password)

    def progress(done: int, total: int) -> None:
        job.report(10 + 80 * done // max(total, 1), f"copying snapshot {done + 1} of {total}")

    result = copy_snapshots(source, copy, progress)
    job.result.update(copied=result.copied, objects=result.objects, bytes=result.bytes)
    if result.copied:
        job.log(
            "info",
            f"{len(result.copied)} snapshot(s) copied to storage {storage.name!r}: "
            f"{result.objects} object(s), {result.bytes} bytes"
            + (f" ({result.already} already there from an earlier try)" if result.already else ""),
        )
    else:
        job.log("info", f"storage {storage.name!r} holds every snapshot already")
    policy = retention_policy(target.plan)
    if policy.rule != RetentionRule.FOREVER:
        pruned = prune(copy, policy)
        if pruned.deleted:
            job.log("info", f"retention removed {len(pruned.deleted)} snapshot(s) from the copy")
