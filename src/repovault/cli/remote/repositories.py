"""`repovault repos`: the repositories, their licences, snapshots, restore and verify, and
what a snapshot holds: its documents, issues, pull requests and releases, one of them with its
conversation as plain text."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from repovault.cli.engine import AllowEarlierOpt
from repovault.cli.remote.output import JsonOpt, console, out, show, when
from repovault.cli.remote.session import EXIT_API, EXIT_USAGE, fail, filters, remote
from repovault.cli.remote.tasks import after_start
from repovault.client import Client

repos = typer.Typer(
    help="Repositories, their snapshots, restore and verify, and what a snapshot holds"
)
SnapshotOpt = Annotated[
    str | None, typer.Option("--snapshot", help="Snapshot id (default: the newest)")
]
SearchOpt = Annotated[
    str | None, typer.Option(help="A number (12, #12) or part of a title, an author or a label")
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


# What a snapshot holds ----------------------------------------------------------------------


@repos.command("documents")
def repos_documents(
    repository_id: str, snapshot: SnapshotOpt = None, as_json: JsonOpt = False
) -> None:
    """The metadata documents a snapshot holds: kind, items, sizes."""
    with remote() as api:
        reply = api.snapshot_documents(repository_id, snapshot_id=snapshot)
    columns = [
        ("document", "name"),
        ("kind", "kind"),
        ("items", "items"),
        ("bytes", "sizeBytes"),
        ("stored", "storedBytes"),
    ]
    show(reply, as_json, columns, reply["documents"])


def _filters(**given: str | None) -> list[dict[str, Any]] | None:
    found = [
        {"property": prop, "operator": "eq", "value": value}
        for prop, value in given.items()
        if value
    ]
    return found or None


ITEM_COLUMNS = [
    ("#", "number"),
    ("title", "title"),
    ("state", "state"),
    ("author", "author"),
    ("labels", "labels"),
    ("created", "createdAt"),
]
StateOpt = Annotated[str | None, typer.Option(help="open, closed (or merged)")]
AuthorOpt = Annotated[str | None, typer.Option(help="The author's name, exactly")]
LabelOpt = Annotated[str | None, typer.Option(help="A label, exactly")]


def _items(pages: Callable[[Client], Iterator[dict[str, Any]]], as_json: bool) -> None:
    """Every issue (or pull request) of a list, as a table or JSON."""
    with remote() as api:
        items = list(pages(api))
    rows = [{**i, "labels": ", ".join(i["labels"])} for i in items]
    show(items, as_json, ITEM_COLUMNS, rows)


@repos.command("issues")
def repos_issues(
    repository_id: str,
    snapshot: SnapshotOpt = None,
    search: SearchOpt = None,
    state: StateOpt = None,
    author: AuthorOpt = None,
    label: LabelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A snapshot's issues, newest first."""
    filters = _filters(state=state, author=author, label=label)
    _items(
        lambda api: api.iter_issues(
            repository_id, snapshot_id=snapshot, search=search, filters=filters
        ),
        as_json,
    )


@repos.command("pulls")
def repos_pulls(
    repository_id: str,
    snapshot: SnapshotOpt = None,
    search: SearchOpt = None,
    state: StateOpt = None,
    author: AuthorOpt = None,
    label: LabelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A snapshot's pull (merge) requests, newest first."""
    filters = _filters(state=state, author=author, label=label)
    _items(
        lambda api: api.iter_pull_requests(
            repository_id, snapshot_id=snapshot, search=search, filters=filters
        ),
        as_json,
    )


@repos.command("releases")
def repos_releases(
    repository_id: str,
    snapshot: SnapshotOpt = None,
    search: Annotated[str | None, typer.Option(help="Part of a tag or a name")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A snapshot's releases with the asset files stored with them, newest first."""
    with remote() as api:
        items = list(api.iter_releases(repository_id, snapshot_id=snapshot, search=search))
    rows = [{**r, "assets": ", ".join(r["assets"])} for r in items]
    columns = [
        ("tag", "tag"),
        ("name", "name"),
        ("author", "author"),
        ("created", "createdAt"),
        ("draft", "draft"),
        ("assets", "assets"),
    ]
    show(items, as_json, columns, rows)


def _entry_head(entry: dict[str, Any]) -> str:
    kind = {"reviewComment": "review comment"}.get(entry["kind"], entry["kind"])
    if entry.get("state"):
        kind += f": {entry['state']}"
    if entry.get("path"):
        kind += f" on {entry['path']}" + (f":{entry['line']}" if entry.get("line") else "")
    return f"— {entry.get('author') or 'unknown'}, {when(entry.get('createdAt'))} ({kind})"


def conversation_text(detail: dict[str, Any]) -> str:
    """An issue or pull request and its conversation as plain text."""
    summary = detail["summary"]
    lines = [
        f"#{summary['number']} {summary['title']}",
        f"{summary['state']} · by {summary.get('author') or 'unknown'} · "
        f"{when(summary.get('createdAt'))}"
        + (f" · labels: {', '.join(summary['labels'])}" if summary["labels"] else ""),
        f"snapshot {detail['snapshotId']}",
        "",
        detail["body"] or "(no description)",
    ]
    for entry in detail["conversation"]:
        lines += ["", _entry_head(entry), entry["body"]]
    return "\n".join(lines)


def _conversation(detail: dict[str, Any], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(detail))
    else:
        out.print(conversation_text(detail), markup=False, highlight=False, soft_wrap=True)


@repos.command("issue")
def repos_issue(
    repository_id: str, number: int, snapshot: SnapshotOpt = None, as_json: JsonOpt = False
) -> None:
    """One issue with its conversation (`--json`: the platform's JSON as stored)."""
    with remote() as api:
        detail = api.issue(repository_id, number, snapshot_id=snapshot)
    _conversation(detail, as_json)


@repos.command("pull")
def repos_pull(
    repository_id: str, number: int, snapshot: SnapshotOpt = None, as_json: JsonOpt = False
) -> None:
    """One pull request with its conversation, reviews and review comments."""
    with remote() as api:
        detail = api.pull_request(repository_id, number, snapshot_id=snapshot)
    _conversation(detail, as_json)


@repos.command("release")
def repos_release(
    repository_id: str, tag: str, snapshot: SnapshotOpt = None, as_json: JsonOpt = False
) -> None:
    """One release: its notes and asset files (`--json`: as stored)."""
    with remote() as api:
        detail = api.release(repository_id, tag, snapshot_id=snapshot)
    if as_json:
        out.print_json(json.dumps(detail))
        return
    summary = detail["summary"]
    text = "\n".join(
        [
            f"{summary['tag']} {summary.get('name') or ''}".rstrip(),
            f"by {summary.get('author') or 'unknown'} · {when(summary.get('createdAt'))}",
            f"assets: {', '.join(summary['assets']) or 'none'}",
            f"snapshot {detail['snapshotId']}",
            "",
            detail["body"] or "(no notes)",
        ]
    )
    out.print(text, markup=False, highlight=False, soft_wrap=True)
