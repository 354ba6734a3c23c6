"""What every console page uses: the templates, the API call on the person's behalf, the CSRF
token of the session's forms, and the way back to a page with a message.

    page handler ── Console.form (CSRF checked) ── Console.call (the API's pipeline) ──
        Console.page (a template)  or  back(path, message) (a redirect with a flash)

The session is the API's access token in a cookie; without it (or when the API no longer
takes it) the handler raises `LoginNeeded`, and a stale form raises `CsrfRejected`: the
console's routes answer both (see `routing.py`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, unquote

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError

from repovault.api.errors import validation_errors
from repovault.common.enums import Driver, label_of
from repovault.common.errors import ServiceError, Unauthorized
from repovault.repositories.platform_targets import DRY_RUN_COUNTS
from repovault.runtime import Runtime
from repovault.tasks.models import status_label

COOKIE = "repovault_session"
FLASH = "repovault_flash"  # the message a form's redirect leaves for the next page
PREFIX = "/console"


class LoginNeeded(Exception):
    """No session, or one the API refuses: the console sends the person to the login page."""


class CsrfRejected(Exception):
    """A form posted without this session's CSRF token (answered 403 by the console)."""


def _when(ms: int | None) -> str:
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _exact(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(ms: int | None, now: datetime | None = None) -> Markup:
    """A time as people say it (`5 minutes ago`, `in 2 hours`), the exact time on hover."""
    if not ms:
        return Markup("—")
    then = datetime.fromtimestamp(ms / 1000, UTC)
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    span = abs(seconds)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if span >= size:
            count = span // size
            words = f"{count} {unit}{'' if count == 1 else 's'}"
            break
    else:
        words = "" if span < 10 else f"{span} seconds"
    said = "just now" if not words else (f"{words} ago" if seconds >= 0 else f"in {words}")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        then.isoformat(timespec="seconds"), _exact(ms), said
    )


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("repovault.console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["ago"] = _ago
    env.filters["exact"] = lambda ms: _exact(ms) if ms else "—"
    env.filters["status"] = status_label
    env.filters["driver"] = lambda value: label_of(Driver, value)
    env.globals["prefix"] = PREFIX
    env.globals["dry_run_counts"] = DRY_RUN_COUNTS
    return env


class Console:
    """The console of one app: its templates, its CSRF key and its way into the API."""

    def __init__(self, app: FastAPI, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.templates = _environment()
        self.key = hashlib.sha256(b"console-csrf:" + runtime.settings.effective_secret_key).digest()

    def csrf(self, token: str) -> str:
        return hmac.new(self.key, token.encode(), hashlib.sha256).hexdigest()[:40]

    def token(self, request: Request) -> str:
        token = request.cookies.get(COOKIE)
        if not token:
            raise LoginNeeded
        return token

    async def call(self, request: Request, path: str, body: dict[str, Any] | None = None) -> Any:
        """The API call `path`, through its pipeline, as the session's user."""
        addr = request.client.host if request.client else ""
        try:
            return await run_in_threadpool(
                self.app.state.invoke, path, body or {}, token=self.token(request), addr=addr
            )
        except Unauthorized as exc:
            raise LoginNeeded from exc

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """The template `name`; its flash is the one a redirect left (`with_flash`), shown on
        one full page and then dropped, whatever a caller or the address says."""
        token = request.cookies.get(COOKIE, "")
        context.pop("flash", None)
        raw = "" if partial(request) else request.cookies.get(FLASH, "")
        flash = unquote(raw.removeprefix("!"))
        if raw.startswith("!"):
            context["errors"] = [flash, *(context.get("errors") or [])]
        html = self.templates.get_template(name).render(
            request=request,
            csrf=self.csrf(token) if token else "",
            user=context.pop("user", None),
            flash="" if raw.startswith("!") else flash,
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        if raw:
            response.delete_cookie(FLASH, path=PREFIX, httponly=True, samesite="strict")
        return response

    async def form(self, request: Request) -> dict[str, list[str]]:
        """The posted form, after checking its CSRF token."""
        raw = (await request.body()).decode("utf-8", "replace")
        fields: dict[str, list[str]] = {}
        for key, value in parse_qsl(raw, keep_blank_values=True):
            fields.setdefault(key, []).append(value)
        given = (fields.get("csrf") or [request.headers.get("x-csrf-token", "")])[0]
        token = self.token(request)
        if not hmac.compare_digest(given.encode(), self.csrf(token).encode()):
            raise CsrfRejected("the form's security token is missing or stale; reload the page")
        return fields


def console_of(request: Request) -> Console:
    """The console that `install` attached to the request's app."""
    console: Console = request.app.state.console
    return console


# A page handler's parameter: the app's console.
ConsoleDep = Annotated[Console, Depends(console_of)]


def messages(exc: Exception) -> list[str]:
    """An error as the lines a page shows."""
    if isinstance(exc, ValidationError):
        return [f"{field}: {'; '.join(msgs)}" for field, msgs in validation_errors(exc).items()]
    if isinstance(exc, ServiceError):
        fields = [f"{k}: {'; '.join(v)}" for k, v in exc.errors.items()]
        return [f"{exc.detail} ({exc.code})", *fields]
    return [str(exc)]


def back(path: str, message: str = "", *, failed: bool = False) -> RedirectResponse:
    """Back to the console page `path` (after a form), with `message` as its flash (in the
    error style when the action `failed`)."""
    return with_flash(RedirectResponse(f"{PREFIX}{path}", status_code=303), message, failed)


def with_flash(response: RedirectResponse, message: str, failed: bool = False) -> RedirectResponse:
    """`response` carrying `message` for the next page, in a short-lived cookie: never in the
    address, where anyone could write a message that the page would show as the server's.
    A failure's message starts with `!` (which `quote` never leaves bare)."""
    if message:
        value = ("!" if failed else "") + quote(message)
        response.set_cookie(
            FLASH, value, max_age=120, path=PREFIX, httponly=True, samesite="strict"
        )
    return response


def partial(request: Request) -> bool:
    """Whether htmx asked for the page (it then gets only the part it replaces)."""
    return bool(request.headers.get("hx-request"))
