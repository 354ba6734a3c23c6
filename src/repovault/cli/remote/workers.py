"""`repovault workers`: the workers and their heartbeats."""

from __future__ import annotations

import typer

from repovault.cli.remote.output import JsonOpt, show
from repovault.cli.remote.session import remote

workers = typer.Typer(help="Workers and their heartbeats")


@workers.command("list")
def workers_list(as_json: JsonOpt = False) -> None:
    """The workers, and whether they were seen lately."""
    with remote() as api:
        reply = api.list_workers(limit=1000)
    show(
        reply["result"],
        as_json,
        [
            ("id", "id"),
            ("name", "name"),
            ("host", "hostname"),
            ("version", "version"),
            ("last seen", "lastSeen"),
            ("online", "isOnline"),
        ],
        reply["result"],
    )
