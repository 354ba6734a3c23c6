"""`repovault repos export`: a snapshot taken away as an archive on this machine.

    repovault repos export REPO [--snapshot S] [--output FILE]

Queues an `export` task (the server rebuilds the snapshot and writes the `.tar.gz` to the
plan's storage), shows its progress, then downloads the archive through the task's signed
link into FILE (default: the archive's own name in the current folder), checking its size
and SHA-256. With `--no-wait` it prints the task id; `--task ID` downloads a finished one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from repovault.cli.remote.output import console, out
from repovault.cli.remote.session import EXIT_API, EXIT_USAGE, fail, remote
from repovault.cli.remote.tasks import watch
from repovault.client import Client

OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="The archive's file (default: its name, here)"),
]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def fetch(api: Client, task_id: str, output: Path | None) -> Path:
    """The finished export's archive, downloaded and checked."""
    link = api.export_link(task_id)
    target = output if output is not None else Path(link["fileName"])
    if target.is_dir():
        target = target / link["fileName"]
    written = api.download(link["url"], target)
    if written != link["sizeBytes"] or _sha256(target) != link["sha256"]:
        target.unlink(missing_ok=True)
        fail(f"the download of {link['fileName']} was incomplete or altered", EXIT_API)
    return target


def repos_export(
    repository_id: str,
    snapshot: Annotated[str | None, typer.Option(help="Snapshot id (default: the newest)")] = None,
    output: OutputOpt = None,
    task: Annotated[str | None, typer.Option(help="Download a finished export task")] = None,
    wait: Annotated[bool, typer.Option(help="Wait, then download the archive")] = True,
) -> None:
    """Export a snapshot as a self-contained .tar.gz (git repository, wiki, metadata as
    JSON) and download it."""
    if task is not None and snapshot is not None:
        fail("give either --snapshot or --task", EXIT_USAGE)
    with remote() as api:
        if task is None:
            task = api.export(repository_id, snapshot_id=snapshot)["taskId"]
            if not wait:
                out.print(task)
                return
            watch(api, [task])
        path = fetch(api, task, output)
    console.print(f"archive written to {path}")
    out.print(str(path))
