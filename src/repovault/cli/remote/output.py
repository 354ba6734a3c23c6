"""What the remote commands print: messages on stderr, answers on stdout, as a table or, with
`--json`, as the API's JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from repovault.tasks.models import status_label

console = Console(stderr=True)
out = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
TIMES = frozenset(
    {
        "lastBackup",
        "lastSuccessfulBackup",
        "nextBackup",
        "startedAt",
        "finishedAt",
        "createdAt",
        "lastSeen",
        "planFinishedTime",
    }
)


def when(ms: int | None) -> str:
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def show(data: Any, as_json: bool, columns: list[tuple[str, str]], rows: list[Any]) -> None:
    """`--json` prints the API's answer as is; otherwise a table of `rows`."""
    if as_json:
        out.print_json(json.dumps(data))
        return
    table = Table(*[title for title, _ in columns])
    for row in rows:
        table.add_row(*[_cell(row, key) for _, key in columns])
    out.print(table)


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if key in TIMES:
        return when(value)
    if key in {"status", "lastBackupTaskStatus"} and isinstance(value, int):
        return status_label(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def print_id(reply: dict[str, Any], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(reply))
    else:
        out.print(reply.get("id") or reply)


YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")]


def said(message: str) -> None:
    """What a command did, on stderr (stdout stays the answer, for scripts)."""
    console.print(message, highlight=False)


def confirm(question: str, yes: bool) -> None:
    """Ask before a destructive command; without a terminal to answer, `--yes` is needed."""
    if yes:
        return
    try:
        answer = typer.confirm(question, default=False, err=True)
    except typer.Abort:  # no terminal to answer (end of input), or Ctrl-C
        answer = False
    if not answer:
        said("nothing done (give --yes to skip this question)")
        raise typer.Exit(2)


WaitOpt = Annotated[
    bool,
    typer.Option(
        "--wait/--no-wait",
        help="Wait for the task(s) to end, showing progress (the default everywhere); "
        "--no-wait prints the task ids",
    ),
]


def did(as_json: bool, message: str, id: str, action: str) -> None:
    """What a command that changes something did: the message on stderr and, with `--json`,
    `{"id": ..., "action": ...}` on stdout (one shape for every such command)."""
    said(message)
    if as_json:
        out.print_json(json.dumps({"id": id, "action": action}))
