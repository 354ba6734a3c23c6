"""Accounts: login, token lifetimes and claims, logout, throttling, users and roles."""

from __future__ import annotations

import time

import jwt
import pytest
from sqlalchemy import select

from repovault.accounts.models import User
from repovault.common import tokens
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api


def _claims(token: str) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return claims


def test_session_token_lasts_twelve_hours_without_remember_me(api: Api) -> None:
    reply = api.ok("/account/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, token="")
    claims = _claims(reply["accessToken"])
    assert claims["exp"] - claims["iat"] == 12 * 3600  # type: ignore[operator]
    assert claims["iss"] == claims["aud"] == "http://127.0.0.1:8080"
    assert tokens.CLAIM_NAME in claims


def test_login_keys_and_email_are_case_insensitive(api: Api) -> None:
    reply = api.ok(
        "/ACCOUNT/LOGIN/", {"EMAIL": ADMIN_EMAIL.upper(), "PassWord": ADMIN_PASSWORD}, token=""
    )
    assert reply["userId"]


def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    wrong = api.post("/account/login", {"email": ADMIN_EMAIL, "password": "nope"}, token="")
    unknown = api.post("/account/login", {"email": "who@x.com", "password": "nope"}, token="")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json()["errorCode"] == "AU1001"
        assert response.json()["detail"] == "wrong email or password"


def test_logout_revokes_only_that_token(api: Api) -> None:
    first, second = api.login(), api.login()
    assert api.post("/account/logout", token=first).status_code == 200
    assert api.post("/account/me", token=first).json()["errorCode"] == "AU1002"
    assert api.post("/account/me", token=second).status_code == 200


def test_repeated_failures_are_throttled_with_retry_after(api: Api, runtime: Runtime) -> None:
    limit = runtime.settings.login_max_failures
    runtime.settings.login_max_failures_per_address = limit
    for _ in range(limit):
        bad = api.post("/account/login", {"email": ADMIN_EMAIL, "password": "x"}, token="")
        assert bad.status_code == 401
    blocked = api.post(
        "/account/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, token=""
    )
    assert blocked.status_code == 429
    assert blocked.json()["errorCode"] == "AU1007"
    retry = int(blocked.headers["Retry-After"])
    assert 0 < retry <= runtime.settings.login_window_seconds
    # The window is per email and per address: another account from this address is
    # throttled too (the address key), until the window passes.
    other = api.post("/account/login", {"email": "other@company.com", "password": "x"}, token="")
    assert other.status_code == 429


def test_throttle_window_expires(api: Api, runtime: Runtime) -> None:
    runtime.settings.login_window_seconds = 1
    for _ in range(runtime.settings.login_max_failures):
        api.post("/account/login", {"email": ADMIN_EMAIL, "password": "x"}, token="")
    assert (
        api.post(
            "/account/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, token=""
        ).status_code
        == 429
    )
    time.sleep(1.1)
    assert api.login()


def test_user_lifecycle(api: Api) -> None:
    user = api.ok(
        "/users/create",
        {
            "email": "Ops@Company.com",
            "password": "password-1",
            "roles": ["viewer", "GitManagement"],
        },
    )["id"]
    listed = api.ok(
        "/users/getmany",
        {"filters": [{"property": "email", "operator": "eq", "value": "ops@company.com"}]},
    )
    assert listed["result"][0]["roles"] == ["Viewer", "GitManagement"]
    token = api.login("ops@company.com", "password-1")
    assert api.post("/git/organizations/getmany", {}, token=token).status_code == 200
    assert api.post("/users/getmany", {}, token=token).status_code == 403

    api.ok("/users/modify", {"id": user, "password": "password-2", "roles": ["Viewer"]})
    assert (
        api.post(
            "/account/login", {"email": "ops@company.com", "password": "password-1"}, token=""
        ).status_code
        == 401
    )
    token = api.login("ops@company.com", "password-2")
    assert (
        api.post("/git/organizations/add", {"driver": 6, "name": "x"}, token=token).status_code
        == 403
    )

    api.ok("/users/remove", {"id": user})
    # A removed user's tokens stop working at once.
    assert api.post("/account/me", token=token).status_code == 401


def test_duplicate_email_is_a_conflict(api: Api) -> None:
    response = api.post("/users/create", {"email": ADMIN_EMAIL.upper(), "password": "12345678"})
    assert response.status_code == 409
    assert response.json()["errorCode"] == "AU1005"


@pytest.mark.parametrize("call", ["/users/remove", "/users/modify"])
def test_the_last_administrator_stays(api: Api, call: str) -> None:
    me = api.ok("/account/me")
    second = api.ok(
        "/users/create",
        {"email": "b@company.com", "password": "password-1", "roles": ["SystemAdministrator"]},
    )["id"]
    second_token = api.login("b@company.com", "password-1")
    assert (
        api.post(call, {"id": me["userId"], "roles": ["Viewer"]}, token=second_token).status_code
        == 200
    )
    # One administrator is left: it is neither removed nor demoted, by itself or anyone.
    response = api.post(call, {"id": second, "roles": ["Viewer"]}, token=second_token)
    assert response.status_code == (409 if call == "/users/remove" else 403)
    assert response.json()["errorCode"] == ("AU1006" if call == "/users/remove" else "AU1008")


def test_password_hashes_are_argon2id(runtime: Runtime, api: Api) -> None:
    with runtime.db.session() as session:
        hashes = session.scalars(select(User.password_hash)).all()
    assert hashes
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert all(ADMIN_PASSWORD not in h for h in hashes)
