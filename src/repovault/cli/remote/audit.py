"""`repovault audit`: the trail of state-changing calls, and its hash chain checked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from repovault.cli.remote.output import JsonOpt, show
from repovault.cli.remote.session import remote

audit = typer.Typer(help="The audit trail: who changed what, from where, and how it ended")


@audit.command("list")
def audit_list(
    call: Annotated[str | None, typer.Option(help="Only this call, e.g. /users/create")] = None,
    user: Annotated[str | None, typer.Option(help="Only calls by this email")] = None,
    about: Annotated[str | None, typer.Option("--object", help="Only calls naming this id")] = None,
    failed: Annotated[bool, typer.Option(help="Only calls that failed")] = False,
    limit: Annotated[int, typer.Option(help="How many entries, newest first")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The newest entries of the audit trail (SystemAdministrator)."""
    filters: list[dict[str, Any]] = []
    if call:
        filters.append({"property": "call", "operator": "eq", "value": call})
    if user:
        filters.append({"property": "userEmail", "operator": "eq", "value": user})
    if about:
        filters.append({"property": "objects", "operator": "contains", "value": about})
    if failed:
        filters.append({"property": "outcome", "operator": "neq", "value": "ok"})
    with remote() as api:
        reply = api.list_audit(limit=limit, filters=filters or None)
    rows = [
        {
            **entry,
            "when": datetime.fromtimestamp(entry["at"] / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "http": entry["status"],
            "objects": ", ".join(entry["objects"])
            + (
                f" (+{entry['objectCount'] - len(entry['objects'])})"
                if entry["objectCount"] > len(entry["objects"])
                else ""
            ),
        }
        for entry in reply["result"]
    ]
    show(
        reply["result"],
        as_json,
        [
            ("#", "seq"),
            ("when", "when"),
            ("who", "userEmail"),
            ("from", "address"),
            ("call", "call"),
            ("objects", "objects"),
            ("status", "http"),
            ("outcome", "outcome"),
        ],
        rows,
    )


@audit.command("verify")
def audit_verify(as_json: JsonOpt = False) -> None:
    """Check the trail's hash chain; exits 1 when an entry was changed or removed."""
    with remote() as api:
        found = api.verify_audit()
    if as_json:
        show(found, True, [], [])
    elif found["valid"]:
        typer.echo(
            f"audit trail intact: {found['checked']} entries, #{found['firstSeq']} to "
            f"#{found['headSeq']}; newest hash {found['headHash']}"
        )
    else:
        typer.echo(f"audit trail BROKEN at #{found['brokenAt']}: {found['reason']}", err=True)
    if not found["valid"]:
        raise typer.Exit(1)
