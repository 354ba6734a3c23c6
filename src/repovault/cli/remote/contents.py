"""`repovault repos documents|issues|pulls|releases|issue|pull|release`: what a snapshot holds,
one issue, pull request or release with its conversation as plain text (registered on `repos`
in `__init__.py`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer

from repovault.cli.remote import resolve
from repovault.cli.remote.output import JsonOpt, out, show, when
from repovault.cli.remote.repositories import SnapshotOpt
from repovault.cli.remote.session import remote
from repovault.client import Client

NumberArg = Annotated[int, typer.Argument(help="The issue's or pull request's number")]
SearchOpt = Annotated[
    str | None, typer.Option(help="A number (12, #12) or part of a title, an author or a label")
]


def repos_documents(
    repository_id: str, snapshot: SnapshotOpt = None, as_json: JsonOpt = False
) -> None:
    """The metadata documents a snapshot holds: kind, items, sizes."""
    with remote() as api:
        repository_id = resolve.repository(api, repository_id)
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
            resolve.repository(api, repository_id),
            snapshot_id=snapshot,
            search=search,
            filters=filters,
        ),
        as_json,
    )


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
            resolve.repository(api, repository_id),
            snapshot_id=snapshot,
            search=search,
            filters=filters,
        ),
        as_json,
    )


def repos_releases(
    repository_id: str,
    snapshot: SnapshotOpt = None,
    search: Annotated[str | None, typer.Option(help="Part of a tag or a name")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A snapshot's releases with the asset files stored with them, newest first."""
    with remote() as api:
        repository_id = resolve.repository(api, repository_id)
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


def repos_issue(
    repository_id: str, number: NumberArg, snapshot: SnapshotOpt = None, as_json: JsonOpt = False
) -> None:
    """One issue with its conversation (`--json`: the platform's JSON as stored)."""
    with remote() as api:
        repository_id = resolve.repository(api, repository_id)
        detail = api.issue(repository_id, number, snapshot_id=snapshot)
    _conversation(detail, as_json)


def repos_pull(
    repository_id: str, number: NumberArg, snapshot: SnapshotOpt = None, as_json: JsonOpt = False
) -> None:
    """One pull request with its conversation, reviews and review comments."""
    with remote() as api:
        repository_id = resolve.repository(api, repository_id)
        detail = api.pull_request(repository_id, number, snapshot_id=snapshot)
    _conversation(detail, as_json)


def repos_release(
    repository_id: str,
    tag: Annotated[str, typer.Argument(help="The release's tag")],
    snapshot: SnapshotOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One release: its notes and asset files (`--json`: as stored)."""
    with remote() as api:
        repository_id = resolve.repository(api, repository_id)
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
