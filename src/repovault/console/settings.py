"""The server's settings, read-only (SystemAdministrator), and a test of the notifications:
a sample run summary sent to one email address or webhook, as a plan's run sends it.

What the page shows is chosen per setting: a secret (a key, a password, a token) only says
whether it is set, and a URL loses its password. A setting added later is shown only once
it is classified here (`PUBLIC`, `SECRET` or `URLS`), so a new secret never leaks by default.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import make_url

from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.errors import Forbidden
from repovault.config import Settings
from repovault.console.forms import first
from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, ConsoleDep, back
from repovault.notifications import notify

router = console_router()

SECRET = frozenset({"secret_key", "admin_password", "metrics_token", "smtp_password"})
URLS = frozenset({"database_url", "broker_url"})
HIDDEN = frozenset({"admin_email"})  # only the first start uses it


def _shown(name: str, value: Any) -> str:
    if name in SECRET:
        return "set (not shown)" if value else "not set"
    if name in URLS:
        if not value:
            return "default"
        try:
            return make_url(str(value)).render_as_string(hide_password=True)
        except Exception:
            return "set (not shown)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return "—" if value in ("", None) else str(value)


def shown_settings(settings: Settings) -> list[tuple[str, str]]:
    """Each setting's environment variable and what the page shows of it."""
    rows = []
    for name in type(settings).model_fields:
        if name in HIDDEN:
            continue
        rows.append((f"REPOVAULT_{name.upper()}", _shown(name, getattr(settings, name))))
    return rows


async def _administrator(request: Request, console: Any) -> dict[str, Any]:
    user: dict[str, Any] = await console.call(request, "/account/me")
    if "SystemAdministrator" not in user["roles"]:
        raise Forbidden(
            codes.ROLE_MISSING, "only a system administrator sees the server's settings"
        )
    return user


@router.get(PREFIX + "/settings")
async def settings_page(request: Request, console: ConsoleDep) -> HTMLResponse:
    user = await _administrator(request, console)
    return console.page(
        request,
        "settings.html",
        user=user,
        settings=shown_settings(console.runtime.settings),
        flash=request.query_params.get("flash"),
    )


@router.post(PREFIX + "/settings/notify")
async def test_notification(request: Request, console: ConsoleDep) -> Response:
    fields = await console.form(request)
    user = await _administrator(request, console)
    recipient = first(fields, "recipient")
    if not recipient:
        return back(
            "/settings", "Give an email address or a webhook URL to send the test to.", failed=True
        )
    at = now_ms()
    sample = SimpleNamespace(
        notification_settings={"enabled": True, "recipients": [recipient]},
        plan_id="test",
        plan_name="notification test",
        run_id="test",
        outcome="succeeded",
        kind="test",
        succeeded=1,
        warnings=0,
        failed=0,
        canceled=0,
        started_at=at,
        finished_at=at,
    )
    runtime = console.runtime
    failed = await run_in_threadpool(notify, runtime.settings, runtime.http, sample)
    if failed:
        return back(
            "/settings", f"The test to {recipient} failed: see the server's log.", failed=True
        )
    return back("/settings", f"A test summary was sent to {recipient} by {user['email']}.")
