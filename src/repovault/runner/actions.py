"""Custom actions: commands a plan runs on the worker around each repository's backup.

`customActions.preBackupAction`, `postSnapshotAction` (only when a snapshot was written) and
`postBackupAction` each name a `unix` target (`enabled`, `command`, `arguments`); repovault's
workers run on Linux, so a `windows` target is noted in the log and skipped. With
`waitForExecution` the worker waits for the command (at most `waitingInterval` seconds,
0 = no limit) and copies its output to the task log; a failing pre-backup action fails the
task, a failing post action is a warning. Without it the command is started and left to run.
The command gets `REPOVAULT_TASK_ID`, `REPOVAULT_PLAN_ID`, `REPOVAULT_REPOSITORY_ID`,
`REPOVAULT_REPOSITORY_NAME` and, after a snapshot, `REPOVAULT_SNAPSHOT_ID`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from typing import Any

from repovault.engine.git import kill_group
from repovault.runner.execute import Job, JobFailed

OUTPUT_LINES = 50


def run(
    job: Job, name: str, custom: dict[str, Any], environment: dict[str, str], *, required: bool
) -> None:
    action = custom.get(name) or {}
    unix = action.get("unix") or {}
    if (action.get("windows") or {}).get("enabled"):
        job.log("info", f"{name}: the Windows command is skipped (this worker runs Linux)")
    if not unix.get("enabled") or not unix.get("command"):
        return
    argv = [unix["command"], *shlex.split(unix.get("arguments") or "")]
    env = {**os.environ, **environment}
    try:
        if not action.get("waitForExecution"):
            subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            job.log("info", f"{name}: started {argv[0]} (not waiting for it)")
            return
        limit = action.get("waitingInterval") or None
        process = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a cancel stops its children too
        )
    except OSError as exc:
        _failed(job, name, required, f"{argv[0]} could not be started: {exc}")
        return
    with job.scope.on_cancel(lambda: kill_group(process)):
        try:
            out, _ = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            kill_group(process)
            process.communicate()
            _failed(job, name, required, f"{argv[0]} did not finish within {limit} s")
            return
    job.scope.check()
    output = out.decode(errors="replace").strip().splitlines()
    for line in output[-OUTPUT_LINES:]:
        job.log("info", f"{name}: {line}")
    if process.returncode != 0:
        _failed(job, name, required, f"{argv[0]} exited with status {process.returncode}")
    else:
        job.log("info", f"{name}: {argv[0]} succeeded")


def _failed(job: Job, name: str, required: bool, message: str) -> None:
    if required:
        job.log("error", f"{name}: {message}")
        raise JobFailed(f"{name}: {message}")
    job.log("warning", f"{name}: {message}")
