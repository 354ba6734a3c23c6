"""The web console: server-rendered pages (Jinja2) that htmx makes live.

Every action goes through the API's own pipeline (`app.state.invoke`), so the console has
exactly the API's roles, validation and errors. The session is the API's access token in an
HttpOnly, SameSite=Strict cookie; every form carries a CSRF token derived from it (HMAC with
the server's key), and a POST without the right one is refused. The pages work without
JavaScript (plain links and forms); with htmx (fetched by `make` into `static/vendor/`) the
running tasks, searches and the schedule preview update in place.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

import structlog
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from repovault.api.errors import service_problem, status_of, validation_errors
from repovault.common.enums import Driver, label_of
from repovault.common.errors import NotFound, ServiceError, Unauthorized
from repovault.console import forms
from repovault.plans import schedule as schedules
from repovault.runtime import Runtime
from repovault.tasks.models import status_label

log = structlog.get_logger(__name__)
COOKIE = "repovault_session"
PREFIX = "/console"


class LoginNeeded(Exception):
    pass


class CsrfRejected(Exception):
    """A form posted without this session's CSRF token (answered 403 by the console)."""


def _when(ms: int | None) -> str:
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("repovault.console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["status"] = status_label
    env.filters["driver"] = lambda value: label_of(Driver, value)
    env.globals["prefix"] = PREFIX
    return env


class Console:
    def __init__(self, app: FastAPI, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.templates = _environment()
        self.key = hashlib.sha256(b"console-csrf:" + runtime.settings.effective_secret_key).digest()

    # ---- the pieces every page uses ------------------------------------------------------

    def csrf(self, token: str) -> str:
        return hmac.new(self.key, token.encode(), hashlib.sha256).hexdigest()[:40]

    def token(self, request: Request) -> str:
        token = request.cookies.get(COOKIE)
        if not token:
            raise LoginNeeded
        return token

    async def call(self, request: Request, path: str, body: dict[str, Any] | None = None) -> Any:
        addr = request.client.host if request.client else ""
        try:
            return await run_in_threadpool(
                self.app.state.invoke, path, body or {}, token=self.token(request), addr=addr
            )
        except Unauthorized as exc:
            raise LoginNeeded from exc

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        token = request.cookies.get(COOKIE, "")
        html = self.templates.get_template(name).render(
            request=request,
            csrf=self.csrf(token) if token else "",
            user=context.pop("user", None),
            **context,
        )
        return HTMLResponse(html, status_code=status)

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


def _errors(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [f"{field}: {'; '.join(msgs)}" for field, msgs in validation_errors(exc).items()]
    if isinstance(exc, ServiceError):
        fields = [f"{k}: {'; '.join(v)}" for k, v in exc.errors.items()]
        return [f"{exc.detail} ({exc.code})", *fields]
    return [str(exc)]


def _back(path: str, message: str = "") -> RedirectResponse:
    target = f"{PREFIX}{path}" + (f"?flash={quote(message)}" if message else "")
    return RedirectResponse(target, status_code=303)


def install(app: FastAPI, runtime: Runtime) -> None:
    console = Console(app, runtime)
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(packages=[("repovault.console", "static")]),
        name="console-static",
    )

    @app.exception_handler(LoginNeeded)
    async def _login(request: Request, _exc: LoginNeeded) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": f"{PREFIX}/login"})
        response = RedirectResponse(f"{PREFIX}/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> Response:
        return console.page(request, "error.html", status=403, errors=[str(exc)])

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(PREFIX, status_code=303)

    @app.get(f"{PREFIX}/login", include_in_schema=False)
    async def login_page(request: Request) -> HTMLResponse:
        return console.page(request, "login.html")

    @app.post(f"{PREFIX}/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        body = {"email": fields.get("email", ""), "password": fields.get("password", "")}
        addr = request.client.host if request.client else ""
        try:
            reply = await run_in_threadpool(
                app.state.invoke, "/account/login", body, token=None, addr=addr
            )
        except (ServiceError, ValidationError) as exc:
            return console.page(
                request, "login.html", status=401, errors=_errors(exc), email=body["email"]
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

    @app.post(f"{PREFIX}/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        await console.form(request)
        await console.call(request, "/account/logout")
        response = RedirectResponse(f"{PREFIX}/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # ---- dashboard -----------------------------------------------------------------------

    @app.get(PREFIX, include_in_schema=False)
    async def dashboard(request: Request) -> HTMLResponse:
        user = await console.call(request, "/account/me")
        organizations = (
            await console.call(request, "/git/organizations/getmany", {"limit": 1000})
        )["result"]
        day_ago = int((datetime.now(UTC) - timedelta(days=1)).timestamp() * 1000)
        failures = await console.call(
            request,
            "/tasks/getmany",
            {
                "limit": 10,
                "filters": [
                    {"property": "status", "operator": "in", "value": [3, 7]},
                    {"property": "createdAt", "operator": "gte", "value": day_ago},
                ],
            },
        )
        return console.page(
            request,
            "dashboard.html",
            user=user,
            organizations=organizations,
            failures=failures["result"],
            running=await _running(console, request),
            flash=request.query_params.get("flash"),
        )

    @app.get(f"{PREFIX}/fragments/running", include_in_schema=False)
    async def running(request: Request) -> HTMLResponse:
        return console.page(request, "_running.html", running=await _running(console, request))

    # ---- an organization -----------------------------------------------------------------

    @app.get(PREFIX + "/organizations/{organization_id}", include_in_schema=False)
    async def organization(request: Request, organization_id: str) -> HTMLResponse:
        user = await console.call(request, "/account/me")
        context = await _organization(console, request, organization_id)
        template = (
            "_repositories.html" if request.headers.get("hx-request") else "organization.html"
        )
        return console.page(
            request, template, user=user, flash=request.query_params.get("flash"), **context
        )

    @app.post(PREFIX + "/organizations/{organization_id}/licences", include_in_schema=False)
    async def licences(request: Request, organization_id: str) -> Response:
        fields = await console.form(request)
        ids = fields.get("repository", [])
        action = (fields.get("action") or ["activate"])[0]
        path = (
            "/git/repositories/deactivate"
            if action == "deactivate"
            else "/git/repositories/activate"
        )
        try:
            reply = await console.call(request, path, {"ids": ids})
        except (ServiceError, ValidationError) as exc:
            return _back(f"/organizations/{organization_id}", " ".join(_errors(exc)))
        failed = len(reply.get("error", []))
        message = f"{len(reply.get('success', []))} repositories {action}d" + (
            f", {failed} refused (no free licence?)" if failed else ""
        )
        return _back(f"/organizations/{organization_id}", message)

    @app.post(PREFIX + "/organizations/{organization_id}/sync", include_in_schema=False)
    async def synchronize(request: Request, organization_id: str) -> Response:
        await console.form(request)
        await console.call(request, "/git/repositories/sync", {"id": organization_id})
        return _back(f"/organizations/{organization_id}", "synchronization started")

    # ---- plans ---------------------------------------------------------------------------

    @app.get(PREFIX + "/plans/new", include_in_schema=False)
    async def new_plan(request: Request) -> HTMLResponse:
        user = await console.call(request, "/account/me")
        organization_id = request.query_params.get("organization", "")
        plan = forms.blank_plan(organization_id)
        return await _plan_page(console, request, user, plan, creating=True)

    @app.get(PREFIX + "/plans/{plan_id}", include_in_schema=False)
    async def plan_page(request: Request, plan_id: str) -> HTMLResponse:
        user = await console.call(request, "/account/me")
        plan = await console.call(request, "/plans/get", {"id": plan_id})
        return await _plan_page(
            console, request, user, plan, creating=False, flash=request.query_params.get("flash")
        )

    @app.post(PREFIX + "/plans", include_in_schema=False)
    async def save_plan(request: Request) -> Response:
        fields = await console.form(request)
        user = await console.call(request, "/account/me")
        plan = forms.plan_from_form(fields)
        creating = not plan.get("id")
        azure = fields.get("backupType", ["5"])[0] == "10"
        path = (
            ("/plans/createazureplan" if azure else "/plans/creategitplan")
            if creating
            else ("/plans/modifyazureplanasync" if azure else "/plans/modifygitplan")
        )
        try:
            reply = await console.call(request, path, plan)
        except (ServiceError, ValidationError) as exc:
            return await _plan_page(
                console, request, user, plan, creating=creating, errors=_errors(exc), status=400
            )
        plan_id = reply["id"] if creating and reply else plan["id"]
        return _back(f"/plans/{plan_id}", "plan saved")

    @app.post(PREFIX + "/plans/{plan_id}/run", include_in_schema=False)
    async def run_plan(request: Request, plan_id: str) -> Response:
        await console.form(request)
        try:
            reply = await console.call(request, "/plans/run", {"id": plan_id})
        except ServiceError as exc:
            return _back(f"/plans/{plan_id}", " ".join(_errors(exc)))
        return _back("/tasks", f"{len(reply['taskIds'])} backup task(s) queued")

    @app.post(PREFIX + "/fragments/schedule-preview", include_in_schema=False)
    async def schedule_preview(request: Request) -> HTMLResponse:
        fields = await console.form(request)
        plan = forms.plan_from_form(fields)
        return console.page(
            request,
            "_preview.html",
            runs=forms.preview(plan.get("schedule"), runtime.settings.zone, count=5),
        )

    # ---- a repository --------------------------------------------------------------------

    @app.get(PREFIX + "/repositories/{repository_id}", include_in_schema=False)
    async def repository(request: Request, repository_id: str) -> HTMLResponse:
        user = await console.call(request, "/account/me")
        snapshots: list[Any] = []
        errors: list[str] = []
        try:
            snapshots = (
                await console.call(
                    request, "/git/repositories/snapshots", {"id": repository_id, "limit": 100}
                )
            )["result"]
        except NotFound:
            raise
        except ServiceError as exc:
            errors = _errors(exc)
        tasks = await console.call(
            request,
            "/tasks/getmany",
            {
                "limit": 20,
                "filters": [{"property": "repositoryId", "operator": "eq", "value": repository_id}],
            },
        )
        return console.page(
            request,
            "repository.html",
            user=user,
            repository_id=repository_id,
            snapshots=snapshots,
            tasks=tasks["result"],
            errors=errors,
            flash=request.query_params.get("flash"),
        )

    @app.post(PREFIX + "/repositories/{repository_id}/restore", include_in_schema=False)
    async def restore(request: Request, repository_id: str) -> Response:
        fields = await console.form(request)
        kind = forms.first(fields, "kind", "directory")
        target: dict[str, Any] = (
            {"kind": "directory", "path": forms.first(fields, "path"), "bare": "bare" in fields}
            if kind == "directory"
            else {
                "kind": "url",
                "url": forms.first(fields, "url"),
                "token": forms.first(fields, "token") or None,
            }
        )
        body = {
            "id": repository_id,
            "target": target,
            "snapshotId": forms.first(fields, "snapshot") or None,
        }
        try:
            reply = await console.call(request, "/git/repositories/restore", body)
        except (ServiceError, ValidationError) as exc:
            return _back(f"/repositories/{repository_id}", " ".join(_errors(exc)))
        return _back(f"/tasks/{reply['taskId']}", "restore queued")

    @app.post(PREFIX + "/repositories/{repository_id}/verify", include_in_schema=False)
    async def verify(request: Request, repository_id: str) -> Response:
        fields = await console.form(request)
        body = {"id": repository_id, "snapshotId": forms.first(fields, "snapshot") or None}
        try:
            reply = await console.call(request, "/git/repositories/verify", body)
        except ServiceError as exc:
            return _back(f"/repositories/{repository_id}", " ".join(_errors(exc)))
        return _back(f"/tasks/{reply['taskId']}", "verification queued")

    # ---- tasks ---------------------------------------------------------------------------

    @app.get(PREFIX + "/tasks", include_in_schema=False)
    async def tasks(request: Request) -> HTMLResponse:
        user = await console.call(request, "/account/me")
        filters = [
            {"property": prop, "operator": "eq", "value": int(value) if prop == "status" else value}
            for prop in ("kind", "status")
            if (value := request.query_params.get(prop))
        ]
        page = await console.call(request, "/tasks/getmany", {"limit": 50, "filters": filters})
        template = "_tasks.html" if request.headers.get("hx-request") else "tasks.html"
        return console.page(
            request,
            template,
            user=user,
            tasks=page["result"],
            total=page["totalEntries"],
            kind=request.query_params.get("kind", ""),
            status_filter=request.query_params.get("status", ""),
            flash=request.query_params.get("flash"),
        )

    @app.get(PREFIX + "/tasks/{task_id}", include_in_schema=False)
    async def task(request: Request, task_id: str) -> HTMLResponse:
        user = await console.call(request, "/account/me")
        found = await console.call(request, "/tasks/get", {"id": task_id})
        template = "_task.html" if request.headers.get("hx-request") else "task.html"
        return console.page(
            request, template, user=user, task=found, flash=request.query_params.get("flash")
        )

    @app.post(PREFIX + "/tasks/{task_id}/cancel", include_in_schema=False)
    async def cancel(request: Request, task_id: str) -> Response:
        await console.form(request)
        try:
            await console.call(request, "/tasks/cancel", {"id": task_id})
        except ServiceError as exc:
            return _back(f"/tasks/{task_id}", " ".join(_errors(exc)))
        return _back(f"/tasks/{task_id}", "cancel requested")

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> Response:
        if request.url.path.startswith(PREFIX):
            status, _title = status_of(exc)
            return console.page(request, "error.html", status=status, errors=_errors(exc))
        return service_problem(exc)


async def _running(console: Console, request: Request) -> list[dict[str, Any]]:
    page = await console.call(
        request,
        "/tasks/getmany",
        {"limit": 50, "filters": [{"property": "status", "operator": "in", "value": [5, 6]}]},
    )
    return list(page["result"])


async def _organization(console: Console, request: Request, organization_id: str) -> dict[str, Any]:
    query = request.query_params
    filters: list[dict[str, Any]] = []
    if query.get("q"):
        filters.append({"property": "name", "operator": "contains", "value": query["q"]})
    show = query.get("show", "")
    if show == "protected":
        filters.append({"property": "isProtected", "operator": "eq", "value": True})
    elif show == "unprotected":
        filters.append({"property": "isProtected", "operator": "eq", "value": False})
    elif show == "removed":
        filters.append({"property": "isRemoved", "operator": "eq", "value": True})
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
        "q": query.get("q", ""),
        "show": show,
        "page": page,
    }


async def _plan_page(
    console: Console,
    request: Request,
    user: Any,
    plan: dict[str, Any],
    *,
    creating: bool,
    errors: list[str] | None = None,
    flash: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    repositories: list[Any] = []
    if plan.get("organizationId"):
        try:
            repositories = (
                await console.call(
                    request,
                    "/git/repositories/getmany",
                    {"id": plan["organizationId"], "limit": 1000},
                )
            )["result"]["repositories"]
        except ServiceError:
            repositories = []
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
        flash=flash,
        runs=forms.preview(plan.get("schedule"), console.runtime.settings.zone, count=5),
        days=forms.DAY_NAMES,
        frequencies=forms.FREQUENCIES,
        schedules=schedules,
    )
