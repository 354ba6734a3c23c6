"""The web console: server-rendered pages (Jinja2) that htmx makes live.

Every action goes through the API's own pipeline (`app.state.invoke`), so the console has
exactly the API's roles, validation and errors. The session is the API's access token in an
HttpOnly, SameSite=Strict cookie; every form carries a CSRF token derived from it (HMAC with
the server's key), and a POST without the right one is refused. The pages work without
JavaScript (plain links and forms); with htmx (fetched by `make` into `static/vendor/`) the
running tasks, searches and the schedule preview update in place.

    install ── static files, then one router per group of pages:
        session (login, logout)  dashboard  manage_organizations (list, add, modify,
        remove)  organizations (one's page)  plans  repositories
        restores (an organization at a time into an organization)
        contents (a snapshot's issues and pull requests)  tasks  users (and roles)
        storages (and workers)  settings (read-only)
        audit (administrators)  missing (an HTML 404 for any other address)
    each over shared.py (templates, API calls, CSRF) and routing.py (the console's routes,
    whose errors become pages there and nowhere else: the API's handlers stay the app's)
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from repovault.console import (
    audit,
    contents,
    dashboard,
    manage_organizations,
    missing,
    organizations,
    plans,
    repositories,
    restores,
    session,
    settings,
    storages,
    tasks,
    users,
)
from repovault.console.shared import PREFIX, Console
from repovault.runtime import Runtime

# In the order they are matched (a plan's `new` page before a plan by its id).
PAGES = (
    session,
    dashboard,
    manage_organizations,
    organizations,
    restores,
    plans,
    repositories,
    contents,
    tasks,
    users,
    storages,
    settings,
    audit,
    missing,
)


def install(app: FastAPI, runtime: Runtime) -> None:
    """Serve the console on `app`: its static files and its pages under `PREFIX`."""
    app.state.console = Console(app, runtime)
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(packages=[("repovault.console", "static")]),
        name="console-static",
    )
    for pages in PAGES:
        app.include_router(pages.router)
