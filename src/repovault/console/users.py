"""Users and their roles (UserManagement): the list, a new user (the password asked twice),
a user's email, roles and password changed, and a user removed after a confirmation. The API
keeps its own rules (the last SystemAdministrator stays; only an administrator makes one)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from repovault.accounts.roles import Role
from repovault.common import codes
from repovault.common.errors import NotFound, ServiceError
from repovault.console.fields import field_errors
from repovault.console.forms import first
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, Console, ConsoleDep, back

router = console_router()

INPUTS = {"email": "email", "password": "password", "roles": "roles", "id": "email"}
ROLES = (
    (Role.SYSTEM_ADMINISTRATOR.value, "System administrator: everything, audit included"),
    (Role.GIT_MANAGEMENT.value, "Git management: organizations, plans, backups, restores"),
    (Role.DATA_REMOVE_MANAGEMENT.value, "Data removal: removing backups and their data"),
    (Role.USER_MANAGEMENT.value, "User management: these pages"),
    (Role.VIEWER.value, "Viewer: reads everything, changes nothing"),
)
MISMATCH = {"password_again": ["The two passwords differ."]}


@router.get(PREFIX + "/users")
async def users(request: Request, console: ConsoleDep) -> HTMLResponse:
    user = await console.call(request, "/account/me")
    found = await console.call(request, "/users/getmany", {"limit": 1000})
    return console.page(
        request,
        "users.html",
        user=user,
        users=found["result"],
        roles=dict(ROLES),
        flash=request.query_params.get("flash"),
    )


@router.get(PREFIX + "/users/new")
async def new(request: Request, console: ConsoleDep) -> HTMLResponse:
    return await _form(console, request, None, {"roles": [Role.VIEWER.value]})


@router.post(PREFIX + "/users/new")
async def create(request: Request, console: ConsoleDep) -> Response:
    fields = await console.form(request)
    values = _values(fields)
    if first(fields, "password") != first(fields, "password_again"):
        return await _form(console, request, None, values, invalid=MISMATCH)
    body = {
        "email": values["email"],
        "password": first(fields, "password"),
        "roles": values["roles"],
    }
    try:
        await console.call(request, "/users/create", body)
    except (ServiceError, ValidationError) as exc:
        return await _form(console, request, None, values, *field_errors(exc, INPUTS))
    return back("/users", f"user {values['email']} created")


@router.get(PREFIX + "/users/{user_id}")
async def edit(request: Request, console: ConsoleDep, user_id: str) -> HTMLResponse:
    found = await _one(console, request, user_id)
    return await _form(console, request, found, {"email": found["email"], "roles": found["roles"]})


@router.post(PREFIX + "/users/{user_id}")
async def modify(request: Request, console: ConsoleDep, user_id: str) -> Response:
    fields = await console.form(request)
    found = await _one(console, request, user_id)
    values = _values(fields)
    password = first(fields, "password")
    if password != first(fields, "password_again"):
        return await _form(console, request, found, values, invalid=MISMATCH)
    body: dict[str, Any] = {"id": user_id, "email": values["email"], "roles": values["roles"]}
    if password:
        body["password"] = password
    try:
        await console.call(request, "/users/modify", body)
    except (ServiceError, ValidationError) as exc:
        return await _form(console, request, found, values, *field_errors(exc, INPUTS))
    return back("/users", f"user {values['email']} saved")


@router.post(PREFIX + "/users/{user_id}/remove")
async def remove(request: Request, console: ConsoleDep, user_id: str) -> Response:
    fields = await console.form(request)
    found = await _one(console, request, user_id)
    values = {"email": found["email"], "roles": found["roles"]}
    if not first(fields, "confirm"):
        sure = {"confirm": ["Tick the box to confirm the removal."]}
        return await _form(console, request, found, values, sure, ["Nothing was removed."])
    try:
        await console.call(request, "/users/remove", {"id": user_id})
    except ServiceError as exc:
        return await _form(console, request, found, values, *field_errors(exc, INPUTS))
    return back("/users", f"user {found['email']} removed")


def _values(fields: dict[str, list[str]]) -> dict[str, Any]:
    known = {value for value, _ in ROLES}
    return {
        "email": first(fields, "email"),
        "roles": [r for r in fields.get("roles", []) if r in known],
    }


async def _one(console: Console, request: Request, user_id: str) -> dict[str, Any]:
    found = await console.call(
        request,
        "/users/getmany",
        {"filters": [{"property": "id", "operator": "eq", "value": user_id}]},
    )
    if not found["result"]:
        raise NotFound(codes.USER_NOT_FOUND, "there is no such user")
    one: dict[str, Any] = found["result"][0]
    return one


async def _form(
    console: Console,
    request: Request,
    found: dict[str, Any] | None,
    values: dict[str, Any],
    invalid: dict[str, list[str]] | None = None,
    errors: list[str] | None = None,
) -> HTMLResponse:
    refused = bool(invalid or errors)
    if invalid and not errors:
        errors = ["Please correct the fields marked below."]
    return console.page(
        request,
        "user_form.html",
        status=400 if refused else 200,
        user=await console.call(request, "/account/me"),
        person=found,
        values=values,
        roles=ROLES,
        invalid=invalid or {},
        errors=errors or [],
    )
