"""The audit trail (SystemAdministrator): the newest entries, filtered by call, user, object
or failure, and the hash chain checked on request."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, ConsoleDep

router = console_router()

FILTERS = (  # query parameter, property, operator
    ("call", "call", "eq"),
    ("user", "userEmail", "eq"),
    ("object", "objects", "contains"),
)


@router.get(PREFIX + "/audit")
async def audit(request: Request, console: ConsoleDep) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    query = request.query_params
    filters: list[dict[str, Any]] = [
        {"property": prop, "operator": operator, "value": value.strip()}
        for name, prop, operator in FILTERS
        if (value := query.get(name, "")).strip()
    ]
    if query.get("failed"):
        filters.append({"property": "outcome", "operator": "neq", "value": "ok"})
    page = await console.call(request, "/audit/getmany", {"limit": 100, "filters": filters})
    verified = await console.call(request, "/audit/verify") if query.get("verify") else None
    return console.page(
        request,
        "audit.html",
        user=user,
        entries=page["result"],
        total=page["totalEntries"],
        query={name: query.get(name, "") for name, _, _ in FILTERS},
        failed=bool(query.get("failed")),
        verified=verified,
    )
