"""Nobody gains a role through the user calls.

Every path that grants or removes roles (`/users/create`, `/users/modify`) and every call that
acts on another user (`/users/modify` of an email or password, `/users/remove`) is walked with
callers holding UserManagement plus one other role: a caller grants, removes and acts only
within the roles it holds itself; nobody changes their own roles; the last
SystemAdministrator is never removed or demoted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.conftest import Api

ROLES = ["SystemAdministrator", "GitManagement", "DataRemoveManagement", "UserManagement", "Viewer"]
Problem = tuple[int, str]


def _email() -> str:
    return f"u-{uuid.uuid4().hex[:8]}@company.com"


def _user(api: Api, *roles: str) -> tuple[str, str, str]:
    """(id, email, token) of a new user with these roles, created by the admin."""
    email = _email()
    user_id = api.ok("/users/create", {"email": email, "password": "password-123", "roles": roles})[
        "id"
    ]
    return user_id, email, api.login(email, "password-123")


def _problem(response: object, expected: Problem) -> None:
    status, code = expected
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.json()["errorCode"] == code  # type: ignore[attr-defined]


def _roles_of(api: Api, user_id: str, token: str | None = None) -> list[str]:
    page = api.ok(
        "/users/getmany",
        {"limit": 1, "filters": [{"property": "id", "operator": "eq", "value": user_id}]},
        **({"token": token} if token else {}),
    )
    roles: list[str] = page["result"][0]["roles"]
    return roles


@pytest.mark.parametrize("other", [r for r in ROLES if r != "UserManagement"])
def test_a_user_manager_grants_only_roles_it_holds(api: Api, other: str) -> None:
    caller = _user(api, "UserManagement", other)[2]
    for granted in ROLES:
        may = granted in ("UserManagement", other) or other == "SystemAdministrator"
        body = {"email": _email(), "password": "password-123", "roles": [granted]}
        created = api.post("/users/create", body, token=caller)
        target = _user(api)[0]
        modified = api.post("/users/modify", {"id": target, "roles": [granted]}, token=caller)
        if may:
            assert created.status_code == 200, (granted, created.text)
            assert modified.status_code == 200, (granted, modified.text)
            assert _roles_of(api, target) == [granted]
        else:
            _problem(created, (403, "AU1003"))
            _problem(modified, (403, "AU1003"))
            assert _roles_of(api, target) == []


@pytest.mark.parametrize("held", [r for r in ROLES if r not in ("UserManagement",)])
def test_a_user_manager_cannot_act_on_a_user_above_it(api: Api, held: str) -> None:
    """Resetting an administrator's password would be the same as holding its roles."""
    caller = _user(api, "UserManagement")[2]
    target, email, _ = _user(api, held)
    for path, body in [
        ("/users/modify", {"id": target, "password": "taken-over-1"}),
        ("/users/modify", {"id": target, "email": _email()}),
        ("/users/modify", {"id": target, "roles": []}),
        ("/users/remove", {"id": target}),
    ]:
        _problem(api.post(path, body, token=caller), (403, "AU1003"))
    # Nothing changed: the target still logs in with its own password and keeps its roles.
    assert api.login(email, "password-123")
    assert _roles_of(api, target) == [held]


@pytest.mark.parametrize("roles", [["UserManagement"], ["SystemAdministrator"]])
def test_nobody_changes_their_own_roles(api: Api, roles: list[str]) -> None:
    me, email, token = _user(api, *roles)
    for wanted in (["SystemAdministrator"], ["UserManagement", "Viewer"], []):
        if wanted == roles:
            continue
        _problem(
            api.post("/users/modify", {"id": me, "roles": wanted}, token=token), (403, "AU1008")
        )
    assert _roles_of(api, me) == roles
    # The same roles again are no change; the email and the password are one's own to change.
    api.ok("/users/modify", {"id": me, "roles": roles, "password": "password-456"}, token=token)
    assert api.login(email, "password-456")


def test_the_last_administrator_is_neither_demoted_nor_removed(
    api: Api, make_user: Callable[..., str]
) -> None:
    admin = api.ok("/account/me")["userId"]
    second, _, second_token = _user(api, "SystemAdministrator")
    manager = make_user("UserManagement")
    # Two administrators: one may demote the other; then the one left stays.
    api.ok("/users/modify", {"id": admin, "roles": ["Viewer"]}, token=second_token)
    _problem(api.post("/users/remove", {"id": second}, token=second_token), (409, "AU1006"))
    _problem(api.post("/users/remove", {"id": second}, token=manager), (403, "AU1003"))
    assert _roles_of(api, second, second_token) == ["SystemAdministrator"]
