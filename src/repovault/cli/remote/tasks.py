"""`repovault tasks`: the tasks, their logs, and live progress until they end; the other
commands that start tasks (`repos restore`, `plans run`, ...) wait for them here too."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from repovault.cli.remote import resolve
from repovault.cli.remote.output import JsonOpt, console, did, out, show, when
from repovault.cli.remote.session import EXIT_TASK_FAILED, filters, remote
from repovault.cli.remote.usage import enum_value, names
from repovault.client import Client
from repovault.client.base import FINISHED
from repovault.common.enums import TaskStatus
from repovault.tasks.models import status_label

tasks = typer.Typer(help="Tasks: backups, restores, verifications, synchronizations")


@tasks.command("list")
def tasks_list(
    plan: Annotated[str | None, typer.Option(help="A plan (id, prefix or name)")] = None,
    repository: Annotated[
        str | None, typer.Option(help="A repository (id, prefix or full name)")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="backup, restore, verify, sync, prune")] = None,
    status: Annotated[str | None, typer.Option(help=f"One of {names(TaskStatus)}")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 25,
    as_json: JsonOpt = False,
) -> None:
    """The newest tasks."""
    number = enum_value(TaskStatus, status, "--status")
    with remote() as api:
        plan = resolve.plan(api, plan) if plan is not None else None
        repository = resolve.repository(api, repository) if repository is not None else None
        reply = api.list_tasks(
            limit=limit,
            filters=filters(planId=plan, repositoryId=repository, kind=kind, status=number),
        )
    show(
        reply["result"],
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
def tasks_cancel(task_id: str, as_json: JsonOpt = False) -> None:
    """Cancel a queued or running task."""
    with remote() as api:
        api.cancel_task(task_id)
    did(as_json, f"task {task_id}: cancellation requested", task_id, "canceled")


@tasks.command("watch")
def tasks_watch(
    task_ids: Annotated[
        list[str] | None, typer.Argument(help="Task ids (default: every open task)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Live progress until the tasks end, as bars or (--json) JSON Lines events; exit 6 if
    one failed."""
    with remote() as api:
        if not task_ids:
            found = api.list_tasks(
                limit=1000,
                filters=[{"property": "status", "operator": "in", "value": [5, 6]}],
            )
            task_ids = [t["id"] for t in found["result"]]
        if not task_ids:
            console.print("no task is queued or running")
            if as_json:
                typer.echo(
                    json.dumps({"event": "done", "succeeded": 0, "total": 0, "failedIds": []})
                )
            return
        watch(api, task_ids, as_json)


def after_start(api: Client, task_ids: list[str], wait: bool, as_json: bool = False) -> None:
    """The started tasks: their ids (`{"taskIds": [...]}` with `--json`), or with `wait` their
    progress until they end (JSON Lines events with `--json`)."""
    if not wait:
        if as_json:
            out.print_json(json.dumps({"taskIds": task_ids}))
            return
        for task_id in task_ids:
            out.print(task_id)
        return
    watch(api, task_ids, as_json)


class _Names:
    """Repository full names for the tasks' repository ids: one filtered list call per
    organization, for the ids not seen yet."""

    def __init__(self, api: Client) -> None:
        self.api = api
        self.known: dict[str, str] = {}

    def of(self, task: dict[str, Any]) -> str | None:
        repository_id = task.get("repositoryId")
        organization_id = task.get("organizationId")
        if not repository_id:
            return None
        if repository_id not in self.known and organization_id:
            found = self.api.list_repositories(
                organization_id,
                limit=1,
                filters=[{"property": "id", "operator": "eq", "value": repository_id}],
            )["result"]["repositories"]
            self.known[repository_id] = str(found[0]["name"]) if found else repository_id
        return self.known.get(repository_id, str(repository_id))


def _event(task: dict[str, Any], name: str | None) -> dict[str, Any]:
    return {
        "event": "ended" if task["status"] in FINISHED else "progress",
        "id": task["id"],
        "kind": task["kind"],
        "repositoryId": task.get("repositoryId"),
        "repository": name,
        "status": status_label(task["status"]),
        "progress": task["progress"],
        "step": task.get("progressText") or "",
    }


def _json_lines(api: Client, task_ids: list[str]) -> list[dict[str, Any]]:
    """One JSON line per change of a task, the last one `{"event": "done", ...}`."""
    names = _Names(api)
    last: dict[str, tuple[Any, ...]] = {}

    def update(found: list[dict[str, Any]]) -> None:
        for task in found:
            state = (task["status"], task["progress"], task.get("progressText"))
            if last.get(task["id"]) != state:
                last[task["id"]] = state
                typer.echo(json.dumps(_event(task, names.of(task))))

    return api.wait_for_tasks(task_ids, interval=0.5, on_update=update, check=False)


def _bars(api: Client, task_ids: list[str]) -> list[dict[str, Any]]:
    """Progress bars named by kind and repository, with the task's current step."""
    names = _Names(api)
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
                    label = f"{task['kind']} {names.of(task) or task['id']}"[:48]
                    bars[task["id"]] = progress.add_task(label, total=100, state="")
                step = task.get("progressText") or ""
                progress.update(
                    bars[task["id"]],
                    completed=task["progress"],
                    state=f"{status_label(task['status'])} {step}".strip()[:40],
                )

        return api.wait_for_tasks(task_ids, interval=0.5, on_update=update, check=False)


def watch(api: Client, task_ids: list[str], as_json: bool = False) -> None:
    """Progress until the tasks end (bars, or JSON Lines events); exit 6 if one failed or
    was canceled."""
    ended = _json_lines(api, task_ids) if as_json else _bars(api, task_ids)
    bad = [t for t in ended if t["status"] in (3, 4, 7)]
    if as_json:
        done = {"event": "done", "succeeded": len(ended) - len(bad), "total": len(ended)}
        typer.echo(json.dumps({**done, "failedIds": [t["id"] for t in bad]}))
    for task in bad:
        console.print(
            f"[red]{task['id']}[/red] {status_label(task['status'])}: {task.get('error') or ''}"
        )
    console.print(f"{len(ended) - len(bad)} of {len(ended)} task(s) succeeded")
    if bad:
        raise typer.Exit(EXIT_TASK_FAILED)
