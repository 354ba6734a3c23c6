"""`/docs` works offline: every script and style comes from this server, and without
Swagger UI installed the page still lists every call."""

from __future__ import annotations

import re

import pytest

from repovault.api import apidocs
from tests.conftest import Api


def _external(html: str) -> list[str]:
    """Addresses the page would load from another host."""
    return [url for url in re.findall(r'(?:src|href)=["\']([^"\']+)', html) if "//" in url]


def test_swagger_ui_comes_from_this_server(api: Api) -> None:
    if not apidocs.swagger_available():
        pytest.skip("Swagger UI not fetched (make console-assets; npm needed)")
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in page.text
    assert _external(page.text) == []
    assert "cdn." not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert api.client.get(f"{apidocs.URL}/{asset}").status_code == 200
    assert api.client.get("/redoc").status_code == 404  # it would need a CDN


def test_without_swagger_ui_the_page_lists_every_call(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apidocs, "swagger_available", lambda: False)
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert _external(page.text) == []
    for path in ("/git/repositories/getmany", "/plans/creategitplan", "/audit/verify"):
        assert f"POST {path}</code>" in page.text
    assert "/openapi.json" in page.text
