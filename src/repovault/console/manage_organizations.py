"""Organizations managed from the console: the list, add (the platform checks the
credentials before anything is saved), modify, remove with or without the backup data
(after a confirmation naming the organization) and synchronize (organizations.py).

A refused form comes back filled in (never with a token), its errors beside its fields.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from repovault.common import codes
from repovault.common.enums import Driver
from repovault.common.errors import NotFound, ServiceError
from repovault.console.fields import field_errors
from repovault.console.forms import first
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, Console, ConsoleDep, back

router = console_router()

# The API's field -> the form's input.
INPUTS = {
    "driver": "driver",
    "name": "name",
    "apiUrl": "api_url",
    "token": "token",
    "username": "username",
    "additionalTokens": "additional_tokens",
    "tokenFile": "token_file",
    "defaultWorkerId": "default_worker",
}
PLATFORMS = [(int(d.value), d.label) for d in Driver]


@router.get(PREFIX + "/organizations")
async def organizations(request: Request, console: ConsoleDep) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    found = await console.call(request, "/git/organizations/getmany", {"limit": 1000})
    rows = found["result"]
    names = [o["name"] for o in rows]
    return console.page(
        request,
        "organizations.html",
        user=user,
        organizations=rows,
        shared={n for n in names if names.count(n) > 1},
        flash=request.query_params.get("flash"),
    )


@router.get(PREFIX + "/organizations/new")
async def new(request: Request, console: ConsoleDep) -> HTMLResponse:
    return await _form(console, request, None, {"driver": "1"})


@router.post(PREFIX + "/organizations/new")
async def add(request: Request, console: ConsoleDep) -> Response:
    fields = await console.form(request)
    body = {"driver": _driver(fields), "name": first(fields, "name"), **_settings(fields)}
    try:
        made = await console.call(request, "/git/organizations/add", body)
    except (ServiceError, ValidationError) as exc:
        return await _form(console, request, None, _kept(fields), exc)
    return back(f"/organizations/{made['id']}", f"organization {body['name']} added")


@router.get(PREFIX + "/organizations/{organization_id}/edit")
async def edit(request: Request, console: ConsoleDep, organization_id: str) -> HTMLResponse:
    org = await _one(console, request, organization_id)
    values = {
        "driver": str(org["driver"]),
        "name": org["name"],
        "api_url": org["apiUrl"] or "",
        "default_worker": org["defaultWorkerId"] or "",
        "read_only": "on" if org["isReadOnly"] else "",
    }
    return await _form(console, request, org, values)


@router.post(PREFIX + "/organizations/{organization_id}/edit")
async def modify(request: Request, console: ConsoleDep, organization_id: str) -> Response:
    fields = await console.form(request)
    org = await _one(console, request, organization_id)
    body: dict[str, Any] = {"id": organization_id, "name": first(fields, "name")}
    body |= {k: v for k, v in _settings(fields).items() if v not in (None, [])}
    body["apiUrl"] = first(fields, "api_url") or None
    body["isReadOnly"] = bool(first(fields, "read_only"))
    body["autoAddNewRepositories"] = bool(first(fields, "auto_add"))
    try:
        await console.call(request, "/git/organizations/modify", body)
    except (ServiceError, ValidationError) as exc:
        return await _form(console, request, org, _kept(fields), exc)
    return back(f"/organizations/{organization_id}", f"organization {body['name']} saved")


@router.get(PREFIX + "/organizations/{organization_id}/remove")
async def confirm_remove(
    request: Request, console: ConsoleDep, organization_id: str
) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    org = await _one(console, request, organization_id)
    return console.page(request, "organization_remove.html", user=user, organization=org)


@router.post(PREFIX + "/organizations/{organization_id}/remove")
async def remove(request: Request, console: ConsoleDep, organization_id: str) -> Response:
    fields = await console.form(request)
    org = await _one(console, request, organization_id)
    if first(fields, "confirm") != org["name"]:
        user = await console.call(request, "/account/me")
        return console.page(
            request,
            "organization_remove.html",
            status=400,
            user=user,
            organization=org,
            invalid={"confirm": ["Type the organization's name exactly to confirm."]},
            errors=["Nothing was removed."],
        )
    with_data = bool(first(fields, "remove_data"))
    await console.call(
        request, "/git/organizations/remove", {"id": organization_id, "removedata": with_data}
    )
    what = " and its backup data" if with_data else " (its backup data is kept)"
    return back("/organizations", f"organization {org['name']} removed{what}")


def _driver(fields: dict[str, list[str]]) -> int:
    value = first(fields, "driver")
    return int(value) if value.isdigit() else 0


def _settings(fields: dict[str, list[str]]) -> dict[str, Any]:
    """What the add and modify forms share, as the API's fields (blank: not given)."""
    extra = [t.strip() for t in first(fields, "additional_tokens").splitlines() if t.strip()]
    return {
        "apiUrl": first(fields, "api_url") or None,
        "token": first(fields, "token") or None,
        "username": first(fields, "username") or None,
        "additionalTokens": extra or None,
        "tokenFile": first(fields, "token_file") or None,
        "defaultWorkerId": first(fields, "default_worker") or None,
        "autoAddNewRepositories": bool(first(fields, "auto_add")),
        "isReadOnly": bool(first(fields, "read_only")),
    }


def _kept(fields: dict[str, list[str]]) -> dict[str, str]:
    """A refused form's values to show again: never its secrets."""
    secret = {"token", "additional_tokens", "csrf"}
    return {k: v[0] for k, v in fields.items() if k not in secret and v}


async def _one(console: Console, request: Request, organization_id: str) -> dict[str, Any]:
    found = await console.call(
        request,
        "/git/organizations/getmany",
        {"filters": [{"property": "id", "operator": "eq", "value": organization_id}]},
    )
    if not found["result"]:
        raise NotFound(codes.ORGANIZATION_NOT_FOUND, "there is no such organization")
    org: dict[str, Any] = found["result"][0]
    return org


async def _form(
    console: Console,
    request: Request,
    org: dict[str, Any] | None,
    values: dict[str, str],
    exc: Exception | None = None,
) -> HTMLResponse:
    invalid, errors = field_errors(exc, INPUTS) if exc else ({}, [])
    if isinstance(exc, ServiceError) and exc.code == codes.PLATFORM_REFUSED:
        # The platform's reason may concern the name, the URL or the token: said once, whole.
        invalid, errors = {}, [f"The platform refused: {exc.detail}"]
    user = await console.call(request, "/account/me")
    workers = await console.call(request, "/workers/getmany", {"limit": 1000})
    return console.page(
        request,
        "organization_form.html",
        status=400 if exc else 200,
        user=user,
        organization=org,
        values=values,
        platforms=PLATFORMS,
        workers=workers["result"],
        invalid=invalid,
        errors=errors,
    )
