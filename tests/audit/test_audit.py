"""The audit trail: every state-changing call (API and console alike) leaves one entry, who
made it, from where, on what, and how it ended; never a secret; a hash chain shows edits and
deletions; old entries expire from the start of the chain."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, update

from repovault.audit import service
from repovault.audit.models import AuditEntry
from repovault.common.clock import now_ms
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, Api


def _entries(api: Api, **body: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = api.ok("/audit/getmany", {"limit": 100, **body})["result"]
    return result


def _user(api: Api, password: str = "a-secret-password-1", roles: tuple[str, ...] = ()) -> str:
    email = f"someone-{len(_entries(api))}@company.com"
    user_id: str = api.ok(
        "/users/create", {"email": email, "password": password, "roles": list(roles)}
    )["id"]
    return user_id


def test_a_change_is_recorded_with_who_where_what_and_how_it_ended(api: Api) -> None:
    user_id = _user(api, password="never-in-the-trail-42")
    newest = _entries(api)[0]
    assert newest["call"] == "/users/create"
    assert (newest["status"], newest["outcome"]) == (200, "ok")
    assert newest["userEmail"] == ADMIN_EMAIL
    assert newest["userId"]
    assert newest["address"] == "testclient"
    assert newest["objects"] == [user_id]
    assert newest["objectCount"] == 1
    assert "never-in-the-trail-42" not in json.dumps(_entries(api))
    # The login that made the token is there too, naming whom it logged in.
    logins = _entries(
        api, filters=[{"property": "call", "operator": "eq", "value": "/account/login"}]
    )
    assert logins
    assert logins[-1]["userEmail"] == ADMIN_EMAIL


def test_reads_are_not_recorded(api: Api) -> None:
    before = api.ok("/audit/getmany", {"limit": 1})["totalEntries"]
    api.ok("/users/getmany", {"limit": 5})
    api.ok("/workers/getmany", {"limit": 5})
    assert api.ok("/audit/getmany", {"limit": 1})["totalEntries"] == before


def test_a_refused_call_is_recorded_and_changes_nothing(
    api: Api, make_user: Callable[..., str]
) -> None:
    viewer = make_user("Viewer")
    refused = api.post(
        "/users/create",
        {"email": "x@company.com", "password": "password-123", "roles": []},
        token=viewer,
    )
    assert refused.status_code == 403
    newest = _entries(api)[0]
    assert (newest["call"], newest["status"], newest["outcome"]) == ("/users/create", 403, "AU1003")
    assert newest["userEmail"].startswith("user-")
    emails = [u["email"] for u in api.ok("/users/getmany", {"limit": 100})["result"]]
    assert "x@company.com" not in emails
    # A wrong password: who was tried, and the refusal.
    wrong = api.post(
        "/account/login", {"email": ADMIN_EMAIL, "password": "wrong-password"}, token=""
    )
    assert wrong.status_code == 401
    newest = _entries(api)[0]
    assert (newest["call"], newest["outcome"], newest["userEmail"]) == (
        "/account/login",
        "AU1001",
        ADMIN_EMAIL,
    )
    assert newest["userId"] is None
    assert "wrong-password" not in json.dumps(newest)


def test_only_administrators_read_the_trail(api: Api, make_user: Callable[..., str]) -> None:
    for role in ("Viewer", "GitManagement", "UserManagement"):
        token = make_user(role)
        for path in ("/audit/getmany", "/audit/verify"):
            assert api.post(path, {}, token=token).status_code == 403


def test_the_trail_filters_by_call_user_and_object(api: Api) -> None:
    first, second = _user(api), _user(api)
    api.ok("/users/remove", {"id": first})
    about_first = _entries(
        api, filters=[{"property": "objects", "operator": "contains", "value": first}]
    )
    assert [e["call"] for e in about_first] == ["/users/remove", "/users/create"]
    removes = _entries(
        api, filters=[{"property": "call", "operator": "eq", "value": "/users/remove"}]
    )
    assert [e["objects"] for e in removes] == [[first]]
    assert second not in json.dumps(removes)


def test_verify_finds_an_edited_and_a_deleted_entry(api: Api, runtime: Runtime) -> None:
    for _ in range(3):
        _user(api)
    fine = api.ok("/audit/verify")
    assert fine["valid"] is True
    assert fine["brokenAt"] is None
    assert fine["checked"] == fine["headSeq"] >= 4
    assert fine["firstSeq"] == 1
    head = fine["headSeq"]
    with runtime.db.session(write=True) as session:  # someone hides who did it
        session.execute(
            update(AuditEntry).where(AuditEntry.seq == 2).values(user_email="nobody@x.org")
        )
    edited = api.ok("/audit/verify")
    assert (edited["valid"], edited["brokenAt"]) == (False, 2)
    assert "changed" in edited["reason"]
    with runtime.db.session(write=True) as session:  # ...then removes the entry altogether
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    deleted = api.ok("/audit/verify")
    assert (deleted["valid"], deleted["brokenAt"]) == (False, 3)
    assert "entries 2 to 2 are missing" in deleted["reason"]
    assert deleted["headSeq"] == 1
    assert head > 3


def test_old_entries_expire_from_the_start_and_the_rest_still_verifies(
    api: Api, runtime: Runtime
) -> None:
    for _ in range(3):
        _user(api)
    with runtime.db.session(write=True) as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.seq <= 2).values(at=now_ms() - 400 * 86_400_000)
        )
    with runtime.db.session(write=True) as session:
        assert service.forget_old(session, now=now_ms(), keep_days=365) == 2
        assert service.forget_old(session, now=now_ms(), keep_days=365) == 0
    # The entries the test aged are gone; the chain verifies from the oldest one kept.
    kept = api.ok("/audit/verify")
    assert kept["firstSeq"] == 3, kept
    assert kept["valid"] is True, kept


def test_console_actions_are_recorded_like_api_calls(api: Api) -> None:
    invoke = api.client.app.state.invoke  # type: ignore[attr-defined]
    invoke(
        "/users/create",
        {"email": "c@company.com", "password": "password-123", "roles": []},
        token=api.token,
        addr="10.1.2.3",
    )
    newest = _entries(api)[0]
    assert (newest["call"], newest["address"]) == ("/users/create", "10.1.2.3")
