"""`repovault repos`: the repositories, their licences, snapshots, restore and verify."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from repovault.cli.engine import AllowEarlierOpt
from repovault.cli.remote.output import JsonOpt, console, out, show
from repovault.cli.remote.session import EXIT_API, EXIT_USAGE, fail, filters, remote
from repovault.cli.remote.tasks import after_start
from repovault.client import Client

repos = typer.Typer(help="Repositories, their snapshots, restore and verify")


@repos.command("list")
def repos_list(
    organization_id: str,
    search: Annotated[str | None, typer.Option(help="Part of the name")] = None,
    as_json: JsonOpt = False,
) -> None:
    with remote() as api:
        items = list(api.iter_repositories(organization_id, filters=filters(name=search)))
    show(
        items,
        as_json,
        [
            ("id", "id"),
            ("name", "name"),
            ("protected", "isProtected"),
            ("removed", "isRemoved"),
            ("last backup", "lastBackup"),
            ("last good", "lastSuccessfulBackup"),
            ("status", "lastBackupTaskStatus"),
            ("next", "nextBackup"),
        ],
        items,
    )


@repos.command("add")
def repos_add(organization_id: str, urls: list[str], as_json: JsonOpt = False) -> None:
    """Add repositories by git URL to a Git (driver 6) organization."""
    with remote() as api:
        reply = api.add_repositories(organization_id, urls)
    if as_json:
        out.print_json(json.dumps(reply))
    else:
        for repository_id in reply["ids"]:
            out.print(repository_id)


def _batch(action: Callable[[Client], dict[str, Any]], as_json: bool) -> None:
    with remote() as api:
        reply = action(api)
    if as_json:
        out.print_json(json.dumps(reply))
        return
    for error in reply.get("error") or reply.get("errors") or []:
        console.print(
            f"[red]{error.get('id')}[/red]: {error.get('errorCode')} {error.get('message', '')}"
        )
    failed = reply.get("error") or reply.get("failedIds")
    if failed:
        raise typer.Exit(EXIT_API)


@repos.command("activate")
def repos_activate(repository_ids: list[str], as_json: JsonOpt = False) -> None:
    """Give repositories a licence (protect them)."""
    _batch(lambda api: api.activate(repository_ids), as_json)


@repos.command("deactivate")
def repos_deactivate(repository_ids: list[str], as_json: JsonOpt = False) -> None:
    _batch(lambda api: api.deactivate(repository_ids), as_json)


@repos.command("remove")
def repos_remove(
    repository_ids: list[str],
    remove_data: Annotated[bool, typer.Option(help="Also delete their backups")] = False,
    as_json: JsonOpt = False,
) -> None:
    _batch(lambda api: api.remove_repositories(repository_ids, remove_data=remove_data), as_json)


@repos.command("snapshots")
def repos_snapshots(repository_id: str, as_json: JsonOpt = False) -> None:
    """The snapshots storage holds, newest first."""
    with remote() as api:
        items = list(api.iter_snapshots(repository_id))
    show(
        items,
        as_json,
        [
            ("snapshot", "id"),
            ("created", "createdAt"),
            ("kind", "kind"),
            ("bytes", "sizeBytes"),
            ("refs", "refCount"),
            ("parent", "parentId"),
        ],
        items,
    )


@repos.command("restore")
def repos_restore(
    repository_id: str,
    to: Annotated[Path | None, typer.Option(help="A new or empty folder on the worker")] = None,
    push: Annotated[str | None, typer.Option(help="A git URL to push to")] = None,
    token_env: Annotated[str | None, typer.Option(help="Variable holding the push token")] = None,
    snapshot: Annotated[str | None, typer.Option(help="Snapshot id (default: the newest)")] = None,
    allow_earlier: AllowEarlierOpt = False,
    work_tree: Annotated[bool, typer.Option(help="A checkout, not a bare repository")] = False,
    wait: Annotated[bool, typer.Option(help="Wait and show progress")] = True,
) -> None:
    """Restore a snapshot to a folder on the worker, or push it to a git URL."""
    if (to is None) == (push is None):
        fail("give either --to PATH or --push URL", EXIT_USAGE)
    target: dict[str, Any]
    if to is not None:
        target = {
            "kind": "directory",
            "path": str(to.expanduser().resolve()),
            "bare": not work_tree,
        }
    else:
        target = {"kind": "url", "url": push}
        if token_env:
            target["token"] = os.environ.get(token_env, "")
    with remote() as api:
        task_id = api.restore(
            repository_id, target, snapshot_id=snapshot, allow_earlier=allow_earlier
        )["taskId"]
        after_start(api, [task_id], wait)


@repos.command("verify")
def repos_verify(
    repository_id: str,
    snapshot: Annotated[str | None, typer.Option(help="One snapshot (default: all)")] = None,
    wait: Annotated[bool, typer.Option(help="Wait and show progress")] = True,
) -> None:
    """Rebuild the snapshots with git and check every object."""
    with remote() as api:
        task_id = api.verify(repository_id, snapshot_id=snapshot)["taskId"]
        after_start(api, [task_id], wait)
