"""An organization's page: its repositories (searched, filtered and paged in place by htmx),
their licences, its plans, a synchronization on request, and the form restoring it at a time
into an organization (console/restores.py)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from repovault.common.errors import ServiceError
from repovault.console.fields import plain
from repovault.console.repositories import writable_organizations
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, Console, ConsoleDep, back, partial

router = console_router()

# The "show" filter of the repository list, as the API's filters.
SHOW_FILTERS = {
    "protected": {"property": "isProtected", "operator": "eq", "value": True},
    "unprotected": {"property": "isProtected", "operator": "eq", "value": False},
    "removed": {"property": "isRemoved", "operator": "eq", "value": True},
}


@router.get(PREFIX + "/organizations/{organization_id}")
async def organization(request: Request, console: ConsoleDep, organization_id: str) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    context = await _organization(console, request, organization_id)
    template = "_repositories.html" if partial(request) else "organization.html"
    return console.page(
        request, template, user=user, flash=request.query_params.get("flash"), **context
    )


@router.post(PREFIX + "/organizations/{organization_id}/licences")
async def licences(request: Request, console: ConsoleDep, organization_id: str) -> Response:
    fields = await console.form(request)
    ids = fields.get("repository", [])
    action = (fields.get("action") or ["activate"])[0]
    if action.endswith("-all"):  # every repository the search and filter match, all pages
        action = action.removesuffix("-all")
        ids = await _matching(console, request, organization_id, fields)
    path = (
        "/git/repositories/deactivate" if action == "deactivate" else "/git/repositories/activate"
    )
    try:
        reply = await console.call(request, path, {"ids": ids})
    except (ServiceError, ValidationError) as exc:
        return back(f"/organizations/{organization_id}", plain(exc), failed=True)
    failed = len(reply.get("error", []))
    message = f"{len(reply.get('success', []))} repositories {action}d" + (
        f", {failed} refused (no free licence?)" if failed else ""
    )
    return back(f"/organizations/{organization_id}", message)


@router.post(PREFIX + "/organizations/{organization_id}/sync")
async def synchronize(request: Request, console: ConsoleDep, organization_id: str) -> Response:
    await console.form(request)
    await console.call(request, "/git/repositories/sync", {"id": organization_id})
    return back(f"/organizations/{organization_id}", "synchronization started")


def _filters(q: str, show: str) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    if q:
        filters.append({"property": "name", "operator": "contains", "value": q})
    if show in SHOW_FILTERS:
        filters.append(dict(SHOW_FILTERS[show]))
    return filters


async def _matching(
    console: Console, request: Request, organization_id: str, fields: dict[str, list[str]]
) -> list[str]:
    """The ids of every repository the list's search and filter match, page after page."""
    q, show = (fields.get(name, [""])[0] for name in ("q", "show"))
    ids: list[str] = []
    page = 1
    while True:
        reply = await console.call(
            request,
            "/git/repositories/getmany",
            {"id": organization_id, "limit": 1000, "page": page, "filters": _filters(q, show)},
        )
        ids += [r["id"] for r in reply["result"]["repositories"]]
        if page >= (reply.get("pageCount") or 1):
            return ids
        page += 1


async def _organization(console: Console, request: Request, organization_id: str) -> dict[str, Any]:
    query = request.query_params
    show = query.get("show", "")
    filters = _filters(query.get("q", ""), show)
    page = max(int(query.get("page", "1") or 1), 1)
    reply = await console.call(
        request,
        "/git/repositories/getmany",
        {"id": organization_id, "limit": 50, "page": page, "filters": filters or None},
    )
    found = await console.call(
        request,
        "/git/organizations/getmany",
        {"filters": [{"property": "id", "operator": "eq", "value": organization_id}]},
    )
    plans = await console.call(
        request,
        "/plans/listassignedtoorganization",
        {"organizationId": organization_id, "limit": 100},
    )
    return {
        "organization_id": organization_id,
        "organization": found["result"][0],
        "listing": reply,
        "repositories": reply["result"]["repositories"],
        "plans": plans["result"],
        "targets": [] if partial(request) else await writable_organizations(console, request),
        "q": query.get("q", ""),
        "show": show,
        "page": page,
    }
