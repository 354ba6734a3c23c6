"""The console's error handling stays on the console's own routes: the API keeps its problem
documents (RFC 9457) for every error, whatever the console does with the same errors on its
pages (an error page, a redirect to the login page)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from repovault.api import errors
from repovault.app import create_app
from repovault.common import codes
from repovault.common.errors import Conflict
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


def _raiser(exc: Exception) -> Callable[[], Any]:
    def endpoint() -> None:
        raise exc

    return endpoint


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    app = create_app(runtime=runtime)
    # Routes outside the console (one whose path merely starts like the console's) that let
    # errors reach the app's handlers, as the API's own routes outside the call pipeline do.
    for path in ("/probe", "/console-report"):
        app.add_api_route(path, _raiser(Conflict("XX0001", "taken")), methods=["POST"])
    app.add_api_route("/forbidden", _raiser(PermissionError("no")), methods=["POST"])
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def _handlers(app: FastAPI) -> dict[Any, tuple[str, str]]:
    return {key: (h.__module__, h.__qualname__) for key, h in app.exception_handlers.items()}


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errorCode"] == code


def test_the_app_keeps_exactly_the_apis_exception_handlers(app: FastAPI) -> None:
    bare = FastAPI()
    errors.install(bare)
    assert _handlers(app) == _handlers(bare)


@pytest.mark.parametrize("path", ["/probe", "/console-report"])
def test_an_error_outside_the_console_is_the_apis_problem(client: TestClient, path: str) -> None:
    _problem(client.post(path), 409, "XX0001")


def test_a_permission_error_outside_the_console_is_the_apis_internal_error(
    client: TestClient,
) -> None:
    _problem(client.post("/forbidden"), 500, codes.INTERNAL)


def test_the_console_answers_its_own_errors_with_pages(client: TestClient) -> None:
    login = client.get("/console")
    assert login.status_code == 303
    assert login.headers["location"] == "/console/login"
    live = client.get("/console/fragments/running", headers={"HX-Request": "true"})
    assert live.status_code == 204
    assert live.headers["hx-redirect"] == "/console/login"

    client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    token = client.cookies.get("repovault_session")
    assert token
    missing = str(uuid.uuid4())
    page = client.get(f"/console/tasks/{missing}")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Error" in page.text
    forged = client.post("/console/logout", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert "security token" in forged.text

    # The same error through the API is its problem document; so is an unknown address
    # outside the console (an unknown console page is an HTML page, issue 14).
    api = client.post(
        "/tasks/get", json={"id": missing}, headers={"Authorization": f"Bearer {token}"}
    )
    _problem(api, 404, api.json()["errorCode"])
    _problem(client.get("/nowhere"), 404, codes.NO_SUCH_CALL)


def test_an_address_that_names_no_console_page_gets_an_html_404(app: FastAPI) -> None:
    with TestClient(app) as client:
        client.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        page = client.get("/console/no-such-page")
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "There is no such page" in page.text
        assert client.get("/console/static/console.css").status_code == 200
        assert client.get("/console/organizations").headers["content-type"].startswith("text/html")
        # Outside the console, the API's problem documents stay.
        _problem(client.get("/no-such-call"), 404, codes.NO_SUCH_CALL)
