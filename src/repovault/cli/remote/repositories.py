"""`repovault repos`: the repositories, their licences, snapshots, restore and verify, and
what a snapshot holds: its documents, issues, pull requests and releases, one of them with its
conversation as plain text."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from repovault.cli.engine import AllowEarlierOpt
from repovault.cli.remote import resolve, restores
from repovault.cli.remote.output import JsonOpt, WaitOpt, YesOpt, confirm, console, out, said, show
from repovault.cli.remote.session import EXIT_API, EXIT_USAGE, fail, filters, remote
from repovault.cli.remote.tasks import after_start
from repovault.client import Client

repos = typer.Typer(
    help="Repositories, their snapshots, restore and verify, and what a snapshot holds"
)
SnapshotOpt = Annotated[
    str | None, typer.Option("--snapshot", help="Snapshot id (default: the newest)")
]


@repos.command("list")
def repos_list(
    organization_id: str,
    search: Annotated[str | None, typer.Option(help="Part of the name")] = None,
    forks: Annotated[
        bool | None, typer.Option("--forks/--no-forks", help="Only forks, or no forks")
    ] = None,
    archived: Annotated[
        bool | None,
        typer.Option("--archived/--no-archived", help="Only archived, or no archived"),
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Only those with this topic")] = None,
    language: Annotated[str | None, typer.Option(help="Only those in this language")] = None,
    as_json: JsonOpt = False,
) -> None:
    """An organization's repositories, with what the platform says of them (fork, archived,
    language) and filters on it."""
    wanted = filters(
        name=search, isFork=forks, isArchived=archived, topics=topic, language=language
    )
    with remote() as api:
        organization_id = resolve.organization(api, organization_id)
        items = list(api.iter_repositories(organization_id, filters=wanted))
    rows = [{**item, "flags": _flags(item)} for item in items]
    show(
        items,
        as_json,
        [
            ("id", "id"),
            ("name", "name"),
            ("flags", "flags"),
            ("language", "language"),
            ("protected", "isProtected"),
            ("removed", "isRemoved"),
            ("last backup", "lastBackup"),
            ("last good", "lastSuccessfulBackup"),
            ("status", "lastBackupTaskStatus"),
            ("next", "nextBackup"),
        ],
        rows,
    )


def _flags(item: dict[str, Any]) -> str:
    """What the platform says of a repository, in words (a table cell)."""
    return " ".join(f for f in ("fork", "archived") if item.get(f"is{f.title()}"))


@repos.command("add")
def repos_add(
    organization_id: str,
    urls: Annotated[list[str], typer.Argument(help="Git URLs (https://, ssh://, file://)")],
    as_json: JsonOpt = False,
) -> None:
    """Add repositories by git URL to a Git (driver 6) organization."""
    with remote() as api:
        organization_id = resolve.organization(api, organization_id)
        reply = api.add_repositories(organization_id, urls)
    if as_json:
        out.print_json(json.dumps(reply))
    else:
        for repository_id in reply["ids"]:
            out.print(repository_id)


def _batch(
    verb: str,
    call: Callable[[Client, list[str]], dict[str, Any]],
    texts: list[str],
    as_json: bool,
    yes: bool = True,
) -> None:
    """One call over several repositories (asking first unless `yes`); says what it did."""
    with remote() as api:
        ids = resolve.repositories(api, texts)
        confirm(f"{verb.capitalize()} {len(ids)} repository(ies): {', '.join(ids)}?", yes)
        reply = call(api, ids)
    if as_json:
        out.print_json(json.dumps(reply))
    for error in reply.get("error") or reply.get("errors") or []:
        console.print(
            f"[red]{error.get('id')}[/red]: {error.get('errorCode')} {error.get('message', '')}"
        )
    failed = reply.get("error") or reply.get("failedIds") or []
    said(f"{len(ids) - len(failed)} of {len(ids)} repository(ies) {verb}d")
    if failed:
        raise typer.Exit(EXIT_API)


Ids = Annotated[list[str], typer.Argument(help="Repository ids, id prefixes or full names")]


@repos.command("activate")
def repos_activate(repository_ids: Ids, as_json: JsonOpt = False) -> None:
    """Give repositories a licence (protect them)."""
    _batch("activate", lambda api, ids: api.activate(ids), repository_ids, as_json)


@repos.command("deactivate")
def repos_deactivate(repository_ids: Ids, yes: YesOpt = False, as_json: JsonOpt = False) -> None:
    """Take repositories' licences back (they are no longer backed up)."""
    _batch("deactivate", lambda api, ids: api.deactivate(ids), repository_ids, as_json, yes)


@repos.command("remove")
def repos_remove(
    repository_ids: Ids,
    remove_data: Annotated[bool, typer.Option(help="Also delete their backups")] = False,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove repositories (and with --remove-data their backups)."""
    _batch(
        "remove",
        lambda api, ids: api.remove_repositories(ids, remove_data=remove_data),
        repository_ids,
        as_json,
        yes,
    )


@repos.command("snapshots")
def repos_snapshots(repository_id: str, as_json: JsonOpt = False) -> None:
    """The snapshots storage holds, newest first."""
    with remote() as api:
        repository_id = resolve.repository(api, repository_id)
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


def _target(to: Path | None, push: str | None, token_env: str | None, bare: bool) -> Any:
    if to is not None:
        return {"kind": "directory", "path": str(to.expanduser().resolve()), "bare": bare}
    target = {"kind": "url", "url": push}
    if token_env:
        target["token"] = os.environ.get(token_env, "")
    return target


@repos.command("restore")
def repos_restore(
    repository_id: str,
    to: Annotated[Path | None, typer.Option(help="A new or empty folder on the worker")] = None,
    push: Annotated[str | None, typer.Option(help="A git URL to push to")] = None,
    to_organization: Annotated[
        str | None,
        typer.Option("--to-organization", help="An organization (id) to restore into"),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="--to-organization: the new repository's name")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="--to-organization: into a repository that is not empty")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option(help="--to-organization: count what would be created, write nothing")
    ] = False,
    token_env: Annotated[str | None, typer.Option(help="Variable holding the push token")] = None,
    snapshot: Annotated[str | None, typer.Option(help="Snapshot id (default: the newest)")] = None,
    allow_earlier: AllowEarlierOpt = False,
    work_tree: Annotated[bool, typer.Option(help="A checkout, not a bare repository")] = False,
    wait: WaitOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Restore a snapshot to a folder on the worker, push it to a git URL, or restore it
    into an organization of a platform (GitHub, Gitea/Forgejo)."""
    if [to, push, to_organization].count(None) != 2:
        fail("give one of --to PATH, --push URL or --to-organization ID", EXIT_USAGE)
    if to_organization is None and (name or overwrite or dry_run):
        fail("--name, --overwrite and --dry-run go with --to-organization", EXIT_USAGE)
    if to_organization is not None:
        restores.repos_restore_into(
            repository_id,
            to_organization,
            name=name,
            snapshot=snapshot,
            overwrite=overwrite,
            dry_run=dry_run,
            wait=wait,
            as_json=as_json,
        )
        return
    target = _target(to, push, token_env, not work_tree)
    with remote() as api:
        repository_id = resolve.repository(api, repository_id)
        task_id = api.restore(
            repository_id, target, snapshot_id=snapshot, allow_earlier=allow_earlier
        )["taskId"]
        after_start(api, [task_id], wait, as_json)


@repos.command("verify")
def repos_verify(
    repository_id: str,
    snapshot: Annotated[str | None, typer.Option(help="One snapshot (default: all)")] = None,
    wait: WaitOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Rebuild the snapshots with git and check every object."""
    with remote() as api:
        repository_id = resolve.repository(api, repository_id)
        task_id = api.verify(repository_id, snapshot_id=snapshot)["taskId"]
        after_start(api, [task_id], wait, as_json)


# What a snapshot holds ----------------------------------------------------------------------
