"""The dashboard: the organizations, the last day's failures and the running tasks (a
fragment htmx refreshes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from repovault.common.enums import TaskStatus
from repovault.console.names import task_names
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, Console, ConsoleDep

router = console_router()


@router.get(PREFIX)
async def dashboard(request: Request, console: ConsoleDep) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    organizations = (await console.call(request, "/git/organizations/getmany", {"limit": 1000}))[
        "result"
    ]
    running = await _running(console, request)
    day_ago = int((datetime.now(UTC) - timedelta(days=1)).timestamp() * 1000)
    failures = await console.call(
        request,
        "/tasks/getmany",
        {
            "limit": 10,
            "filters": [
                {
                    "property": "status",
                    "operator": "in",
                    "value": [TaskStatus.FAILED, TaskStatus.NOT_STARTED],
                },
                {"property": "createdAt", "operator": "gte", "value": day_ago},
            ],
        },
    )
    return console.page(
        request,
        "dashboard.html",
        user=user,
        organizations=organizations,
        failures=failures["result"],
        running=running,
        names=await task_names(console, request, [*running, *failures["result"]]),
        flash=request.query_params.get("flash"),
    )


@router.get(f"{PREFIX}/fragments/running")
async def running(request: Request, console: ConsoleDep) -> HTMLResponse:
    found = await _running(console, request)
    names = await task_names(console, request, found)
    return console.page(request, "_running.html", running=found, names=names)


async def _running(console: Console, request: Request) -> list[dict[str, Any]]:
    page = await console.call(
        request,
        "/tasks/getmany",
        {
            "limit": 50,
            "filters": [
                {
                    "property": "status",
                    "operator": "in",
                    "value": [TaskStatus.RUNNING, TaskStatus.QUEUED],
                }
            ],
        },
    )
    return list(page["result"])
