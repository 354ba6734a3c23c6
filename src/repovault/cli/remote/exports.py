"""`repovault repos export`: a snapshot taken away as an archive on this machine.

    repovault repos export REPO [--snapshot S | --at TIME] [--output FILE]
    repovault repos export-many (--org ORG | --plan PLAN) [--at TIME] [--output DIR]

Queues an `export` task (the server rebuilds the snapshot and writes the `.tar.gz` to the
plan's storage), shows its progress, then downloads the archive through the task's signed
link into FILE (default: the archive's own name in the current folder), checking its size
and SHA-256. With `--no-wait` it prints the task id; `--task ID` downloads a finished one.
`export-many` does the same for every backed-up repository of an organization or a plan as
it was at a time (one archive each, into a folder); `--at` takes an ISO time (UTC unless it
says otherwise).

    repovault orgs export ORG [--plan PLAN] [--at TIME] [--output FILE]

queues ONE archive of every repository of the organization (or of those the plan, which
must be the organization's, backed up) as it was at a time, waits and downloads it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from repovault.cli.remote import resolve
from repovault.cli.remote.output import JsonOpt, WaitOpt, console, out
from repovault.cli.remote.session import EXIT_API, EXIT_TASK_FAILED, EXIT_USAGE, fail, remote
from repovault.cli.remote.tasks import after_start, watch
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


AtOpt = Annotated[
    str | None, typer.Option(help="The newest snapshot at or before this ISO time (UTC)")
]


def _ms(at: str | None) -> int | None:
    if at is None:
        return None
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        fail(f"--at: not an ISO time: {at!r}", EXIT_USAGE)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def repos_export(
    repository_id: str,
    snapshot: Annotated[str | None, typer.Option(help="Snapshot id (default: the newest)")] = None,
    at: AtOpt = None,
    output: OutputOpt = None,
    task: Annotated[str | None, typer.Option(help="Download a finished export task")] = None,
    wait: WaitOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Export a snapshot as a self-contained .tar.gz (git repository, wiki, metadata as
    JSON) and download it."""
    if task is not None and snapshot is not None:
        fail("give either --snapshot or --task", EXIT_USAGE)
    with remote() as api:
        repository_id = resolve.repository(api, repository_id)
        if task is None:
            task = api.export(repository_id, snapshot_id=snapshot, at=_ms(at))["taskId"]
            if not wait:
                after_start(api, [task], False, as_json)
                return
            watch(api, [task], as_json)
        path = fetch(api, task, output)
    downloaded(path, as_json)


def downloaded(path: Path, as_json: bool) -> None:
    """An archive written: its path on stdout, or a JSON line `{"event": "downloaded"}`."""
    console.print(f"archive written to {path}")
    if as_json:
        typer.echo(json.dumps({"event": "downloaded", "path": str(path)}))
    else:
        out.print(str(path))


def repos_export_many(
    org: Annotated[str | None, typer.Option(help="Every repository of this organization")] = None,
    plan: Annotated[str | None, typer.Option(help="Every repository this plan backed up")] = None,
    at: AtOpt = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The folder")] = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Export every backed-up repository of an organization or a plan as it was at a time:
    one .tar.gz each, downloaded into a folder."""
    if (org is None) == (plan is None):
        fail("give either --org or --plan", EXIT_USAGE)
    output.mkdir(parents=True, exist_ok=True)
    with remote() as api:
        org = resolve.organization(api, org) if org is not None else None
        plan = resolve.plan(api, plan) if plan is not None else None
        answer = api.export_many(organization_id=org, plan_id=plan, at=_ms(at))
        for skipped in answer["skipped"]:
            console.print(f"[yellow]{skipped}[/yellow]: no backup, not exported")
        ended = api.wait_for_tasks(answer["taskIds"], interval=0.5, check=False)
        failed = [t for t in ended if t["status"] not in (1, 2)]
        for task in ended:
            if task not in failed:
                downloaded(fetch(api, task["id"], output), as_json)
    for task in failed:
        console.print(f"[red]{task.get('repositoryId')}[/red]: {task.get('error') or 'failed'}")
    if failed:
        raise typer.Exit(EXIT_TASK_FAILED)


def orgs_export(
    organization_id: str,
    plan: Annotated[
        str | None, typer.Option(help="Only what this plan (of the organization) backed up")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="As it was at this ISO time (UTC; default: now)")
    ] = None,
    output: OutputOpt = None,
    wait: WaitOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Export every repository of an organization (or of one of its plans) as it was at a
    time, as ONE .tar.gz, and download it."""
    moment = _ms(at)
    with remote() as api:
        organization_id = resolve.organization(api, organization_id)
        if plan is not None:
            plan = resolve.plan(api, plan, organization_id)
        if plan is not None and api.get_plan(plan)["organizationId"] != organization_id:
            fail(f"plan {plan} is not a plan of organization {organization_id}", EXIT_USAGE)
        body = {"plan_id": plan} if plan is not None else {"id": organization_id}
        task = api.export_organization(**body, at=moment)["taskId"]
        if not wait:
            after_start(api, [task], False, as_json)
            return
        watch(api, [task], as_json)
        path = fetch(api, task, output)
    downloaded(path, as_json)
