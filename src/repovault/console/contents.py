"""What a snapshot holds: its issues and pull requests, searched and filtered in place by
htmx, and one of them with its conversation rendered as plain text (escaped, never as
markup), through the API's calls (`/git/repositories/issues`, `issue`, ...)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from repovault.common.errors import NotFound, ServiceError
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, Console, ConsoleDep, messages, partial

router = console_router()

# kind in the page's address -> (list call, item call, heading)
KINDS = {
    "issues": ("/git/repositories/issues", "/git/repositories/issue", "Issues"),
    "pulls": ("/git/repositories/pullrequests", "/git/repositories/pullrequest", "Pull requests"),
}
STATES = ("open", "closed", "merged")
PAGE_SIZE = 50


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < int(text) < 1_000_000 else 1


async def _snapshots(console: Console, request: Request, repository_id: str) -> list[Any]:
    """The snapshots to choose from (a page of the newest)."""
    body = {"id": repository_id, "limit": 100}
    try:
        reply = await console.call(request, "/git/repositories/snapshots", body)
    except NotFound:
        raise
    except ServiceError:
        return []  # the listing below says why
    found: list[Any] = reply["result"]
    return found


@router.get(PREFIX + "/repositories/{repository_id}/contents")
async def contents(request: Request, console: ConsoleDep, repository_id: str) -> HTMLResponse:
    """A snapshot's issues or pull requests (`kind`), searched (`q`) and filtered (`state`)."""
    user = await console.call(request, "/account/me")
    params = request.query_params
    kind = params.get("kind", "")
    kind = kind if kind in KINDS else "issues"
    snapshot, q, state = params.get("snapshot", ""), params.get("q", ""), params.get("state", "")
    page = _page_number(params.get("page"))
    body: dict[str, Any] = {
        "id": repository_id,
        "snapshotId": snapshot or None,
        "search": q or None,
        "limit": PAGE_SIZE,
        "page": page,
    }
    if state in STATES:
        body["filters"] = [{"property": "state", "operator": "eq", "value": state}]
    listing: dict[str, Any] | None = None
    errors: list[str] = []
    try:
        listing = await console.call(request, KINDS[kind][0], body)
    except NotFound:
        raise
    except (ServiceError, ValidationError) as exc:
        errors = messages(exc)
    context: dict[str, Any] = {
        "repository_id": repository_id,
        "kind": kind,
        "kinds": KINDS,
        "states": STATES,
        "snapshot": snapshot,
        "q": q,
        "state": state,
        "page": page,
        "listing": listing,
        # Shown in the list's own part, which htmx replaces (not the page's error box).
        "problems": errors,
    }
    if partial(request):
        return console.page(request, "_items.html", user=user, **context)
    snapshots = await _snapshots(console, request, repository_id)
    return console.page(request, "contents.html", user=user, snapshots=snapshots, **context)


@router.get(PREFIX + "/repositories/{repository_id}/{kind}/{number}")
async def item(
    request: Request, console: ConsoleDep, repository_id: str, kind: str, number: str
) -> HTMLResponse:
    """One issue or pull request and its conversation, as plain text."""
    user = await console.call(request, "/account/me")
    if kind not in KINDS or not number.isdigit() or len(number) > 18:
        return console.page(request, "error.html", status=404, user=user, errors=["not found"])
    snapshot = request.query_params.get("snapshot", "")
    body = {"id": repository_id, "snapshotId": snapshot or None, "number": int(number)}
    detail = await console.call(request, KINDS[kind][1], body)
    return console.page(
        request,
        "item.html",
        user=user,
        repository_id=repository_id,
        kind=kind,
        kinds=KINDS,
        snapshot=snapshot,
        detail=detail,
    )
