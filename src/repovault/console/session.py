"""Logging in and out: the session is the API's access token in an HttpOnly, SameSite=Strict
cookie, set from the API's `/account/login` and dropped on logout."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from repovault.common.errors import ServiceError
from repovault.console.routing import router as console_router
from repovault.console.shared import COOKIE, PREFIX, ConsoleDep, messages

router = console_router()


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse(PREFIX, status_code=303)


@router.get(f"{PREFIX}/login")
async def login_page(request: Request, console: ConsoleDep) -> HTMLResponse:
    return console.page(request, "login.html")


@router.post(f"{PREFIX}/login")
async def login(request: Request, console: ConsoleDep) -> Response:
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    body = {"email": fields.get("email", ""), "password": fields.get("password", "")}
    addr = request.client.host if request.client else ""
    try:
        reply = await run_in_threadpool(
            console.app.state.invoke, "/account/login", body, token=None, addr=addr
        )
    except (ServiceError, ValidationError) as exc:
        return console.page(
            request, "login.html", status=401, errors=messages(exc), email=body["email"]
        )
    response = RedirectResponse(PREFIX, status_code=303)
    response.set_cookie(
        COOKIE,
        reply["accessToken"],
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=12 * 3600,
        path="/",
    )
    return response


@router.post(f"{PREFIX}/logout")
async def logout(request: Request, console: ConsoleDep) -> Response:
    await console.form(request)
    await console.call(request, "/account/logout")
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
