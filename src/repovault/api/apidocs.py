"""`/docs`: the API's reference page, served by this server alone (no CDN, works offline).

With Swagger UI in the console's static files (`make console-assets` fetches it from the npm
registry, never committed) it is Swagger UI over `/openapi.json`; without it, a plain HTML
list of every call with its summary, its roles' tag and a link to `/openapi.json`."""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

STATIC = Path(__file__).resolve().parent.parent / "console" / "static"
SWAGGER = "vendor/swagger"
URL = "/console/static/" + SWAGGER


def swagger_available() -> bool:
    return (STATIC / SWAGGER / "swagger-ui-bundle.js").is_file()


def _plain(app: FastAPI) -> str:
    rows = []
    for path, operations in sorted(app.openapi().get("paths", {}).items()):
        for method, operation in operations.items():
            tags = ", ".join(operation.get("tags", []))
            rows.append(
                f"<tr><td><code>{escape(method.upper())} {escape(path)}</code></td>"
                f"<td>{escape(operation.get('summary', ''))}</td><td>{escape(tags)}</td></tr>"
            )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(app.title)}</title></head><body>"
        f"<h1>{escape(app.title)} {escape(app.version)}</h1>"
        "<p>The OpenAPI document: <a href='/openapi.json'>/openapi.json</a> (request and "
        "response schemas, error answers). Swagger UI is not installed on this server "
        "(<code>make console-assets</code> fetches it).</p>"
        "<table><thead><tr><th>call</th><th>what</th><th>group</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )


def install(app: FastAPI) -> None:
    """Serve `/docs` (create the app with `docs_url=None, redoc_url=None`)."""

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        if not swagger_available():
            return HTMLResponse(_plain(app))
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title}: reference",
            swagger_js_url=f"{URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{URL}/swagger-ui.css",
            swagger_favicon_url="data:,",
        )
