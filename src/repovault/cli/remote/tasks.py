"""`repovault tasks`: the tasks, their logs, and live progress until they end; the other
commands that start tasks (`repos restore`, `plans run`, ...) wait for them here too."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from repovault.cli.remote.output import JsonOpt, console, out, show, when
from repovault.cli.remote.session import EXIT_TASK_FAILED, filters, remote
from repovault.client import Client
from repovault.tasks.models import status_label

tasks = typer.Typer(help="Tasks: backups, restores, verifications, synchronizations")


@tasks.command("list")
def tasks_list(
    plan: Annotated[str | None, typer.Option(help="Plan id")] = None,
    repository: Annotated[str | None, typer.Option(help="Repository id")] = None,
    kind: Annotated[str | None, typer.Option(help="backup, restore, verify, sync, prune")] = None,
    status: Annotated[int | None, typer.Option(help="1 ok .. 7, see docs/tasks.md")] = None,
    limit: int = 25,
    as_json: JsonOpt = False,
) -> None:
    """The newest tasks."""
    with remote() as api:
        reply = api.list_tasks(
            limit=limit,
            filters=filters(planId=plan, repositoryId=repository, kind=kind, status=status),
        )
    show(
        reply,
        as_json,
        [
            ("id", "id"),
            ("kind", "kind"),
            ("status", "status"),
            ("progress", "progress"),
            ("attempt", "attempt"),
            ("started", "startedAt"),
            ("finished", "finishedAt"),
            ("error", "error"),
        ],
        reply["result"],
    )


@tasks.command("get")
def tasks_get(task_id: str, as_json: JsonOpt = False) -> None:
    """One task and its log."""
    with remote() as api:
        task = api.get_task(task_id)
    if as_json:
        out.print_json(json.dumps(task))
        return
    out.print(
        f"{task['kind']} task {task['id']}: {status_label(task['status'])} "
        f"({task['progress']}%, attempt {task['attempt']})"
    )
    colours = {"success": "green", "info": "white", "warning": "yellow", "error": "red"}
    for line in task["logs"]:
        colour = colours.get(line["level"], "white")
        out.print(
            f"{when(line['time'])} [{colour}]{line['level']:>7}[/{colour}] {line['message']}",
            highlight=False,
        )


@tasks.command("cancel")
def tasks_cancel(task_id: str) -> None:
    with remote() as api:
        api.cancel_task(task_id)
    console.print(f"task {task_id}: cancellation requested")


@tasks.command("watch")
def tasks_watch(
    task_ids: Annotated[list[str] | None, typer.Argument(help="Default: every open task")] = None,
) -> None:
    """Live progress bars until the tasks end (exit 6 if one failed)."""
    with remote() as api:
        if not task_ids:
            found = api.list_tasks(
                limit=1000,
                filters=[{"property": "status", "operator": "in", "value": [5, 6]}],
            )
            task_ids = [t["id"] for t in found["result"]]
        if not task_ids:
            console.print("no task is queued or running")
            return
        watch(api, task_ids)


def after_start(api: Client, task_ids: list[str], wait: bool) -> None:
    """The started tasks: their ids, or with `wait` their progress until they end."""
    if not wait:
        for task_id in task_ids:
            out.print(task_id)
        return
    watch(api, task_ids)


def watch(api: Client, task_ids: list[str]) -> None:
    """Progress bars until the tasks end; exit 6 if one failed or was canceled."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bars: dict[str, TaskID] = {}

        def update(found: list[dict[str, Any]]) -> None:
            for task in found:
                if task["id"] not in bars:
                    label = f"{task['kind']} {task.get('repositoryId') or task['id']}"[:48]
                    bars[task["id"]] = progress.add_task(label, total=100, state="")
                progress.update(
                    bars[task["id"]],
                    completed=task["progress"],
                    state=status_label(task["status"]),
                )

        ended = api.wait_for_tasks(task_ids, interval=0.5, on_update=update, check=False)
    bad = [t for t in ended if t["status"] in (3, 4, 7)]
    for task in bad:
        console.print(
            f"[red]{task['id']}[/red] {status_label(task['status'])}: {task.get('error') or ''}"
        )
    console.print(f"{len(ended) - len(bad)} of {len(ended)} task(s) succeeded")
    if bad:
        raise typer.Exit(EXIT_TASK_FAILED)
