"""A repository's page: its snapshots and tasks, a restore (to a folder, a URL or into an
organization of a platform, as a dry run or for real), an export and a verification, each
queued as a task through the API (the task's page shows its progress and what it created,
or a dry run's counts)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from repovault.common.errors import NotFound, ServiceError
from repovault.console import forms
from repovault.console.fields import plain
from repovault.console.names import task_names
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, Console, ConsoleDep, back, messages
from repovault.providers.writes import writable

router = console_router()


async def writable_organizations(console: Console, request: Request) -> list[Any]:
    """The organizations a restore can write into, by name."""
    found = await console.call(request, "/git/organizations/getmany", {"limit": 1000})
    return sorted(
        (o for o in found["result"] if writable(o["driver"], o.get("apiUrl"))),
        key=lambda o: o["name"].lower(),
    )


@router.get(PREFIX + "/repositories/{repository_id}")
async def repository(request: Request, console: ConsoleDep, repository_id: str) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    snapshots: list[Any] = []
    errors: list[str] = []
    try:
        snapshots = (
            await console.call(
                request, "/git/repositories/snapshots", {"id": repository_id, "limit": 100}
            )
        )["result"]
    except NotFound:
        raise
    except ServiceError as exc:
        errors = messages(exc)
    tasks = await console.call(
        request,
        "/tasks/getmany",
        {
            "limit": 20,
            "filters": [{"property": "repositoryId", "operator": "eq", "value": repository_id}],
        },
    )
    return console.page(
        request,
        "repository.html",
        user=user,
        repository_id=repository_id,
        organizations=await writable_organizations(console, request) if snapshots else [],
        snapshots=snapshots,
        tasks=tasks["result"],
        names=await task_names(
            console, request, [{"repositoryId": repository_id}, *tasks["result"]]
        ),
        errors=errors,
        flash=request.query_params.get("flash"),
    )


def _target(fields: dict[str, list[str]]) -> dict[str, Any]:
    """Where the restore form says to write: a folder, a Git URL, or an organization."""
    kind = forms.first(fields, "kind", "directory")
    if kind == "platform":
        return {
            "kind": "platform",
            "organizationId": forms.first(fields, "organization"),
            "name": forms.first(fields, "name") or None,
            "overwrite": "overwrite" in fields,
            "dryRun": "dry_run" in fields,
        }
    if kind == "directory":
        return {"kind": "directory", "path": forms.first(fields, "path"), "bare": "bare" in fields}
    return {
        "kind": "url",
        "url": forms.first(fields, "url"),
        "token": forms.first(fields, "token") or None,
    }


@router.post(PREFIX + "/repositories/{repository_id}/restore")
async def restore(request: Request, console: ConsoleDep, repository_id: str) -> Response:
    fields = await console.form(request)
    target = _target(fields)
    body = {
        "id": repository_id,
        "target": target,
        "snapshotId": forms.first(fields, "snapshot") or None,
    }
    try:
        reply = await console.call(request, "/git/repositories/restore", body)
    except (ServiceError, ValidationError) as exc:
        return back(f"/repositories/{repository_id}", plain(exc), failed=True)
    queued = "dry run queued" if target.get("dryRun") else "restore queued"
    return back(f"/tasks/{reply['taskId']}", queued)


async def _snapshot_task(
    request: Request, console: Console, repository_id: str, call: str, queued: str
) -> Response:
    """Queue a task on the form's snapshot (`call`), then show it; back with the error."""
    fields = await console.form(request)
    body = {"id": repository_id, "snapshotId": forms.first(fields, "snapshot") or None}
    try:
        reply = await console.call(request, call, body)
    except ServiceError as exc:
        return back(f"/repositories/{repository_id}", plain(exc), failed=True)
    return back(f"/tasks/{reply['taskId']}", queued)


@router.post(PREFIX + "/repositories/{repository_id}/verify")
async def verify(request: Request, console: ConsoleDep, repository_id: str) -> Response:
    return await _snapshot_task(
        request, console, repository_id, "/git/repositories/verify", "verification queued"
    )


@router.post(PREFIX + "/repositories/{repository_id}/export")
async def export(request: Request, console: ConsoleDep, repository_id: str) -> Response:
    return await _snapshot_task(
        request, console, repository_id, "/git/repositories/export", "export queued"
    )
