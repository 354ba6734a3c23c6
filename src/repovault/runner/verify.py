"""The `verify` job: every snapshot (or one) rebuilt and checked by git."""

from __future__ import annotations

from repovault.engine.verify import CATALOG, Progress, verify
from repovault.repositories.vaults import copy_vaults, snapshot_vaults
from repovault.runner.execute import Job, JobFailed


def _progress(job: Job, index: int, count: int, plan: str) -> Progress:
    """The task's progress as snapshots are rebuilt: each plan's storage an equal part."""

    def report(done: int, total: int) -> None:
        part = done / total if total else 1.0
        job.report(int(100 * (index + part) / count), f"{plan}: snapshot {done} of {total}")

    return report


def run_verify(job: Job) -> None:
    assert job.task.repository_id is not None
    snapshot_id = job.task.params.get("snapshotId")
    repo = job.task.repository_id
    vaults = snapshot_vaults(job.runtime, repo)
    if not vaults:
        raise JobFailed("the repository has no snapshots to verify", permanent=True)
    checked, problems = 0, 0
    copies = [(plan, vault, " (second copy)") for plan, vault in copy_vaults(job.runtime, repo)]
    every = [(plan, vault, "") for plan, vault in vaults] + copies
    for index, (plan, vault, where) in enumerate(every):
        if snapshot_id is not None and snapshot_id not in vault.manifests():
            continue
        report = verify(vault, snapshot_id, _progress(job, index, len(every), plan.name + where))
        checked += len(report.checked)
        for problem in report.problems:
            problems += 1
            what = (
                problem.snapshot if problem.snapshot == CATALOG else f"snapshot {problem.snapshot}"
            )
            job.log("error", f"plan {plan.name}{where}: {what}: {problem.message}")
    if checked == 0 and problems == 0:
        missing = f"no snapshot {snapshot_id}" if snapshot_id else "no snapshot in storage"
        raise JobFailed(missing, permanent=True)
    job.result.update(checked=checked, problems=problems)
    if problems:
        raise JobFailed(f"{problems} problem(s) found in {checked} snapshot(s)", permanent=True)
    job.log("info", f"{checked} snapshot(s) verified: every object present and connected")
