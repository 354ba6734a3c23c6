"""Where backups go and who runs them: storages (listed, added, removed after a
confirmation; administrators) and workers (online or not, their last heartbeat, their queued
and running tasks). Secret settings are never shown: the API lists storages without them."""

from __future__ import annotations

from collections import Counter

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from repovault.common.enums import StorageType, TaskStatus
from repovault.common.errors import ServiceError
from repovault.console.fields import field_errors
from repovault.console.forms import first
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, Console, ConsoleDep, back

router = console_router()

# The form's inputs, as the API's settings of each storage type.
LOCAL_INPUTS = ("path",)
S3_INPUTS = ("endpointUrl", "bucket", "prefix", "region", "accessKeyId", "secretAccessKey")
INPUTS = {"name": "name", "type": "type"} | {
    f"settings.{key}": key for key in (*LOCAL_INPUTS, *S3_INPUTS)
}
TYPES = [(int(t.value), t.label) for t in StorageType]


@router.get(PREFIX + "/storages")
async def storages(request: Request, console: ConsoleDep) -> HTMLResponse:
    return await _page(console, request, {"type": "1"})


@router.post(PREFIX + "/storages")
async def add(request: Request, console: ConsoleDep) -> Response:
    fields = await console.form(request)
    kind = first(fields, "type")
    keys = S3_INPUTS if kind == str(int(StorageType.S3)) else LOCAL_INPUTS
    body = {
        "name": first(fields, "name"),
        "type": int(kind) if kind.isdigit() else 0,
        "settings": {key: first(fields, key) for key in keys if first(fields, key)},
    }
    try:
        await console.call(request, "/storages/add", body)
    except (ServiceError, ValidationError) as exc:
        kept = {k: v[0] for k, v in fields.items() if v and k not in ("csrf", "secretAccessKey")}
        return await _page(console, request, kept, exc)
    return back("/storages", f"storage {body['name']} added")


@router.post(PREFIX + "/storages/{storage_id}/remove")
async def remove(request: Request, console: ConsoleDep, storage_id: str) -> Response:
    fields = await console.form(request)
    if not first(fields, "confirm"):
        return back(
            "/storages", "Nothing was removed: tick the box beside Remove to confirm.", failed=True
        )
    try:
        await console.call(request, "/storages/remove", {"id": storage_id})
    except ServiceError as exc:
        _invalid, errors = field_errors(exc, {})
        return await _page(console, request, {"type": "1"}, None, errors)
    return back("/storages", "storage removed (its data stays where it is)")


@router.post(PREFIX + "/storages/{storage_id}/test")
async def test_storage(request: Request, console: ConsoleDep, storage_id: str) -> Response:
    await console.form(request)
    found = await console.call(request, "/storages/test", {"id": storage_id})
    if found["ok"]:
        return back("/storages", f"The storage works: {found['detail']} in {found['ms']} ms.")
    return back("/storages", f"The storage does not work: {found['detail']}", failed=True)


@router.get(PREFIX + "/workers")
async def workers(request: Request, console: ConsoleDep) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    found = await console.call(request, "/workers/getmany", {"limit": 1000})
    waiting = await console.call(
        request,
        "/tasks/getmany",
        {
            "limit": 1000,
            "filters": [
                {
                    "property": "status",
                    "operator": "in",
                    "value": [TaskStatus.QUEUED, TaskStatus.RUNNING],
                }
            ],
        },
    )
    queued = Counter(t["workerId"] for t in waiting["result"] if t["status"] == TaskStatus.QUEUED)
    running = Counter(t["workerId"] for t in waiting["result"] if t["status"] == TaskStatus.RUNNING)
    return console.page(
        request,
        "workers.html",
        user=user,
        workers=found["result"],
        queued=queued,
        running=running,
    )


async def _page(
    console: Console,
    request: Request,
    values: dict[str, str],
    exc: Exception | None = None,
    errors: list[str] | None = None,
) -> HTMLResponse:
    invalid, found_errors = field_errors(exc, INPUTS) if exc else ({}, [])
    user = await console.call(request, "/account/me")
    listed = await console.call(request, "/storages/getmany", {"limit": 1000})
    all_errors = [*found_errors, *(errors or [])]
    return console.page(
        request,
        "storages.html",
        status=400 if all_errors else 200,
        user=user,
        storages=listed["result"],
        types=dict(TYPES),
        values=values,
        invalid=invalid,
        errors=all_errors,
        flash=request.query_params.get("flash"),
    )
