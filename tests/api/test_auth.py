"""The auth matrix: for every call, no token, an expired, tampered or revoked token gives
401; a user without the call's roles gets 403; each role that opens the call gets 200."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from repovault.runtime import Runtime
from tests.api.calls_table import CALLS, NON_ADMIN_ROLES, CallSpec
from tests.api.world import build_world
from tests.conftest import Api


def test_the_table_names_every_call(api: Api) -> None:
    served = {
        route.path
        for route in api.client.app.routes  # type: ignore[attr-defined]
        if "POST" in getattr(route, "methods", set())
        # The web console's forms are pages, tested in tests/console/.
        and not route.path.startswith("/console")
    }
    assert served - {"/account/login"} == {c.path for c in CALLS}


def _problem(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["errorCode"] == code
    assert {"type", "title", "detail", "errors"} <= set(body)


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_auth_matrix(
    call: CallSpec,
    api: Api,
    runtime: Runtime,
    make_user: Callable[..., str],
    tmp_path: Path,
) -> None:
    world = build_world(api, runtime)
    body = call.body(api, world, tmp_path)

    _problem(api.post(call.path, body, token=""), 401, "AU1001")
    _problem(api.post(call.path, body, token="not-a-jwt"), 401, "AU1001")

    admin_token = api.token
    assert admin_token
    head, payload, signature = admin_token.split(".")
    tampered = f"{head}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    _problem(api.post(call.path, body, token=tampered), 401, "AU1001")

    me = api.ok("/account/me", {})
    expired, _ = runtime.tokens.issue(
        user_id=me["userId"],
        email=me["email"],
        roles=me["roles"],
        remember=True,
        now=time.time() - 31 * 24 * 3600,
    )
    _problem(api.post(call.path, body, token=expired), 401, "AU1002")

    revoked = api.login()
    api.ok("/account/logout", {}, token=revoked)
    _problem(api.post(call.path, body, token=revoked), 401, "AU1002")

    outsiders = [r for r in NON_ADMIN_ROLES if r not in call.roles]
    if outsiders:
        _problem(api.post(call.path, body, token=make_user(*outsiders)), 403, "AU1003")
    # A user with no role at all opens only the calls any signed-in user may make.
    no_role = make_user()
    if call.roles != set(NON_ADMIN_ROLES):
        _problem(api.post(call.path, body, token=no_role), 403, "AU1003")

    openers = sorted(call.roles) or ["SystemAdministrator"]
    for role in openers:
        fresh = call.body(api, world, tmp_path)
        response = api.post(call.path, fresh, token=make_user(role))
        assert response.status_code == 200, (role, response.text)
