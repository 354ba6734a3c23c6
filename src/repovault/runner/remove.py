"""The `remove` job: the backup data of removed repositories (and wikis) deleted from every
storage, each vault under its lock (`engine/removal.py`).

The rows are gone by the time it runs (the API removed them and queued this task in the same
transaction), so the task carries the ids in its parameters. A vault that a backup, prune or
verify holds makes the attempt fail as transient: it is retried, and the data goes once that
work has ended. A storage that fails is retried the same way; what was deleted stays deleted,
and the next attempt lists again.
"""

from __future__ import annotations

from sqlalchemy import select

from repovault.engine.layout import repository_prefix, wiki_data_prefix
from repovault.engine.removal import remove_data
from repovault.runner.execute import Job
from repovault.storages.models import Storage
from repovault.storages.service import open_backend


def run_remove(job: Job) -> None:
    params = job.task.params
    prefixes = [repository_prefix(r) for r in params.get("repositoryIds", [])]
    prefixes += [wiki_data_prefix(w) for w in params.get("wikiIds", [])]
    with job.runtime.db.session() as session:
        storages = [
            (s.name, open_backend(s, job.runtime.box)) for s in session.scalars(select(Storage))
        ]
    total = 0
    for done, prefix in enumerate(prefixes):
        job.report(done * 100 // max(len(prefixes), 1), f"removing {prefix}")

        def removed(count: int, prefix: str = prefix) -> None:
            job.report(job.progress, f"{prefix}: {count} object(s) deleted")

        for name, backend in storages:
            count = remove_data(backend, prefix, removed=removed)
            if count:
                job.log("info", f"{prefix}: {count} object(s) deleted from storage {name!r}")
            total += count
    job.report(100, f"{total} object(s) deleted")
    job.log("info", f"backup data removed: {len(prefixes)} prefix(es), {total} object(s)")
    job.result.update(prefixes=len(prefixes), objects=total)
