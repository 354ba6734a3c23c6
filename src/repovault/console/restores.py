"""An organization restored at a time into an organization, from the organization's page: the
form queues the batch through the API (`/git/organizations/restore`), then a page follows
its tasks (htmx refreshes it while any runs): each repository's progress and what it created,
or a dry run's counts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from repovault.common.errors import ServiceError
from repovault.console import forms
from repovault.console.fields import plain
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, ConsoleDep, back, partial, with_flash

router = console_router()
MAX_SHOWN = 200  # tasks a batch's page follows (its ids are in the address)


def _body(organization_id: str, fields: dict[str, list[str]]) -> dict[str, Any]:
    concurrency = forms.first(fields, "concurrency")
    return {
        "id": organization_id,
        "at": forms.first(fields, "at") or None,
        "concurrency": int(concurrency) if concurrency.isdigit() else 2,
        "target": {
            "organizationId": forms.first(fields, "organization"),
            "namePrefix": forms.first(fields, "prefix"),
            "overwrite": "overwrite" in fields,
            "dryRun": "dry_run" in fields,
        },
    }


@router.post(PREFIX + "/organizations/{organization_id}/restore")
async def restore(request: Request, console: ConsoleDep, organization_id: str) -> Response:
    fields = await console.form(request)
    body = _body(organization_id, fields)
    try:
        reply = await console.call(request, "/git/organizations/restore", body)
    except (ServiceError, ValidationError) as exc:
        return back(f"/organizations/{organization_id}", plain(exc), failed=True)
    count = len(reply["taskIds"])
    what = "dry run" if body["target"]["dryRun"] else "restore"
    flash = f"{count} {what}{'' if count == 1 else 's'} queued" + (
        f", {len(reply['skipped'])} repositories without a snapshot that old skipped"
        if reply["skipped"]
        else ""
    )
    query = urlencode({"tasks": ",".join(reply["taskIds"][:MAX_SHOWN])}, safe=",")
    return with_flash(
        RedirectResponse(
            f"{PREFIX}/organizations/{organization_id}/restores?{query}", status_code=303
        ),
        flash,
    )


@router.get(PREFIX + "/organizations/{organization_id}/restores")
async def restores(request: Request, console: ConsoleDep, organization_id: str) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    ids = [i for i in request.query_params.get("tasks", "").split(",") if i][:MAX_SHOWN]
    tasks = [await console.call(request, "/tasks/get", {"id": task_id}) for task_id in ids]
    names = {}
    if tasks:
        listed = await console.call(
            request, "/git/repositories/getmany", {"id": organization_id, "limit": 1000}
        )
        names = {r["id"]: r["name"] for r in listed["result"]["repositories"]}
    return console.page(
        request,
        "_restores.html" if partial(request) else "restores.html",
        user=user,
        organization_id=organization_id,
        tasks=tasks,
        names=names,
        running=any(t["status"] in (5, 6) for t in tasks),
        address=f"{PREFIX}/organizations/{organization_id}/restores?"
        + urlencode({"tasks": ",".join(ids)}, safe=","),
        flash=request.query_params.get("flash"),
    )
