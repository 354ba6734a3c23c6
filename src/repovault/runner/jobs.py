"""What each task kind does on the worker: one module per kind, and the registry the worker
runs them from (`JOBS`), with the guards that may stop a running job (`GUARDS`)."""

from __future__ import annotations

from collections.abc import Callable

from repovault.runner.backup import backup_window_guard, run_backup
from repovault.runner.copy import run_copy
from repovault.runner.execute import Job
from repovault.runner.export import run_export
from repovault.runner.export_org import run_org_export
from repovault.runner.prune import run_prune
from repovault.runner.remove import run_remove
from repovault.runner.restore import run_restore
from repovault.runner.sync import run_sync
from repovault.runner.verify import run_verify

JOBS: dict[str, Callable[[Job], None]] = {
    "backup": run_backup,
    "restore": run_restore,
    "export": run_export,
    "orgexport": run_org_export,
    "verify": run_verify,
    "sync": run_sync,
    "prune": run_prune,
    "remove": run_remove,
    "copy": run_copy,
}
GUARDS: dict[str, Callable[[Job], str | None]] = {"backup": backup_window_guard}
