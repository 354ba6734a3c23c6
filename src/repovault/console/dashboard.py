"""The dashboard: the organizations, the last day's failures and the running tasks (a
fragment htmx refreshes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from repovault.common.enums import TaskStatus
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, Console, ConsoleDep

router = console_router()


@router.get(PREFIX)
async def dashboard(request: Request, console: ConsoleDep) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    organizations = (await console.call(request, "/git/organizations/getmany", {"limit": 1000}))[
        "result"
    ]
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
        running=await _running(console, request),
        flash=request.query_params.get("flash"),
    )


@router.get(f"{PREFIX}/fragments/running")
async def running(request: Request, console: ConsoleDep) -> HTMLResponse:
    return console.page(request, "_running.html", running=await _running(console, request))


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
