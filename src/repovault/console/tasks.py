"""The tasks: the list (filtered by kind and status, refreshed by htmx), one task with its
log, a cancel request, and an export's download (through a fresh signed link)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from repovault.common.errors import ServiceError
from repovault.console.fields import plain
from repovault.console.names import task_names
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, ConsoleDep, back, partial

router = console_router()


@router.get(PREFIX + "/tasks")
async def tasks(request: Request, console: ConsoleDep) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    filters = [
        {"property": prop, "operator": "eq", "value": int(value) if prop == "status" else value}
        for prop in ("kind", "status")
        if (value := request.query_params.get(prop))
    ]
    page = await console.call(request, "/tasks/getmany", {"limit": 50, "filters": filters})
    return console.page(
        request,
        "_tasks.html" if partial(request) else "tasks.html",
        user=user,
        tasks=page["result"],
        names=await task_names(console, request, page["result"]),
        total=page["totalEntries"],
        kind=request.query_params.get("kind", ""),
        status_filter=request.query_params.get("status", ""),
        flash=request.query_params.get("flash"),
    )


@router.get(PREFIX + "/tasks/{task_id}")
async def task(request: Request, console: ConsoleDep, task_id: str) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    found = await console.call(request, "/tasks/get", {"id": task_id})
    template = "_task.html" if partial(request) else "task.html"
    return console.page(
        request,
        template,
        user=user,
        task=found,
        t=found,
        names=await task_names(console, request, [found]),
        flash=request.query_params.get("flash"),
    )


@router.post(PREFIX + "/tasks/{task_id}/cancel")
async def cancel(request: Request, console: ConsoleDep, task_id: str) -> Response:
    await console.form(request)
    try:
        await console.call(request, "/tasks/cancel", {"id": task_id})
    except ServiceError as exc:
        return back(f"/tasks/{task_id}", plain(exc), failed=True)
    return back(f"/tasks/{task_id}", "cancel requested")


@router.get(PREFIX + "/tasks/{task_id}/download")
async def download(request: Request, console: ConsoleDep, task_id: str) -> Response:
    """A finished export's archive: a fresh signed link, followed at once (it expires)."""
    try:
        link = await console.call(request, "/git/repositories/exportlink", {"taskId": task_id})
    except ServiceError as exc:
        return back(f"/tasks/{task_id}", plain(exc), failed=True)
    return RedirectResponse(link["url"], status_code=303)
