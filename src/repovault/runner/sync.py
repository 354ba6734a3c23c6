"""The `sync` job: an organization's repository list brought up to date."""

from __future__ import annotations

from repovault.organizations.sync import synchronize
from repovault.runner.execute import Job


def run_sync(job: Job) -> None:
    assert job.task.organization_id is not None
    result = synchronize(job.runtime, job.task.organization_id)
    for pause in result.pauses:
        job.log("warning", f"rate limited: {pause}")
    job.log(
        "info",
        f"synchronized: {len(result.added)} added, {result.renamed} renamed, "
        f"{result.removed} removed, {result.restored} back",
    )
    job.result.update(added=len(result.added), removed=result.removed)
