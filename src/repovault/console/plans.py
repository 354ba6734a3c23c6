"""The plan editor: a new plan or an existing one, saved through the API's create or modify
call (Git or Azure DevOps), run now, and the live preview of its schedule's next runs."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from repovault.common.errors import ServiceError
from repovault.console import forms
from repovault.console.fields import labelled, plain
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, Console, ConsoleDep, back
from repovault.plans import schedule as schedules

router = console_router()

# The plan editor's parts, by the API field paths they set.
PLAN_LABELS = {
    "name": "Name",
    "organizationId": "Organization",
    "repositoriesIds": "Repositories",
    "schedule": "Schedule",
    "schedule.options": "Schedule",
    "schedule.backupWindow": "Backup window",
    "schedule.retention": "Retention",
    "compressionSettings": "Compression",
    "encryptionSettings": "Encryption password",
    "advancedOptions": "Retries and concurrency",
    "notificationSettings": "Notifications",
    "storageId": "Storage",
    "workerId": "Worker",
}


@router.get(PREFIX + "/plans/new")
async def new_plan(request: Request, console: ConsoleDep) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    organization_id = request.query_params.get("organization", "")
    plan = forms.blank_plan(organization_id)
    return await _plan_page(console, request, user, plan, creating=True)


@router.get(PREFIX + "/plans/{plan_id}")
async def plan_page(request: Request, console: ConsoleDep, plan_id: str) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    plan = await console.call(request, "/plans/get", {"id": plan_id})
    return await _plan_page(
        console, request, user, plan, creating=False, flash=request.query_params.get("flash")
    )


def _save_call(*, creating: bool, azure: bool) -> str:
    if creating:
        return "/plans/createazureplan" if azure else "/plans/creategitplan"
    return "/plans/modifyazureplanasync" if azure else "/plans/modifygitplan"


@router.post(PREFIX + "/plans")
async def save_plan(request: Request, console: ConsoleDep) -> Response:
    fields = await console.form(request)
    user = await console.call(request, "/account/me")
    plan = forms.plan_from_form(fields)
    creating = not plan.get("id")
    azure = fields.get("backupType", ["5"])[0] == "10"
    if creating and forms.first(fields, "password") != forms.first(fields, "password_again"):
        return await _plan_page(
            console,
            request,
            user,
            plan,
            creating=True,
            errors=["Nothing was saved: the two encryption passwords differ."],
            invalid={"password_again": ["The two passwords differ: type the same one twice."]},
            status=400,
        )
    try:
        reply = await console.call(request, _save_call(creating=creating, azure=azure), plan)
    except (ServiceError, ValidationError) as exc:
        return await _plan_page(
            console,
            request,
            user,
            plan,
            creating=creating,
            errors=labelled(exc, PLAN_LABELS),
            status=400,
        )
    plan_id = reply["id"] if creating and reply else plan["id"]
    return back(f"/plans/{plan_id}", "plan saved")


@router.post(PREFIX + "/plans/{plan_id}/run")
async def run_plan(request: Request, console: ConsoleDep, plan_id: str) -> Response:
    await console.form(request)
    try:
        reply = await console.call(request, "/plans/run", {"id": plan_id})
    except ServiceError as exc:
        return back(f"/plans/{plan_id}", plain(exc), failed=True)
    return back("/tasks", f"{len(reply['taskIds'])} backup task(s) queued")


@router.post(PREFIX + "/fragments/schedule-preview")
async def schedule_preview(request: Request, console: ConsoleDep) -> HTMLResponse:
    fields = await console.form(request)
    plan = forms.plan_from_form(fields)
    return console.page(
        request,
        "_preview.html",
        runs=forms.preview(plan.get("schedule"), console.runtime.settings.zone, count=5),
    )


async def _repositories(console: Console, request: Request, organization_id: str) -> list[Any]:
    """The organization's repositories to choose from (none if they cannot be listed)."""
    if not organization_id:
        return []
    try:
        reply = await console.call(
            request, "/git/repositories/getmany", {"id": organization_id, "limit": 1000}
        )
    except ServiceError:
        return []
    return list(reply["result"]["repositories"])


async def _plan_page(
    console: Console,
    request: Request,
    user: Any,
    plan: dict[str, Any],
    *,
    creating: bool,
    errors: list[str] | None = None,
    invalid: dict[str, list[str]] | None = None,
    flash: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    repositories = await _repositories(console, request, plan.get("organizationId") or "")
    storages = (await console.call(request, "/storages/getmany", {"limit": 100}))["result"]
    workers = (await console.call(request, "/workers/getmany", {"limit": 100}))["result"]
    return console.page(
        request,
        "plan.html",
        status=status,
        user=user,
        plan=plan,
        view=forms.plan_view(plan),
        creating=creating,
        repositories=repositories,
        storages=storages,
        workers=workers,
        errors=errors or [],
        invalid=invalid or {},
        flash=flash,
        runs=forms.preview(plan.get("schedule"), console.runtime.settings.zone, count=5),
        days=forms.DAY_NAMES,
        frequencies=forms.FREQUENCIES,
        schedules=schedules,
    )
