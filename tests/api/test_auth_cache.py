"""What authentication keeps between calls, and what it never keeps.

A token's signature is checked once (`accounts.service.VerifiedTokens`); its expiry, its
revocation and its user (existence and roles) are read at every call, so a logout, a removed
user or changed roles take effect at the very next call, a read on the event loop
(`quick`) or any other. Each test first uses the token, so that it is known, then changes
what must be seen at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from repovault.accounts.service import VerifiedTokens
from repovault.common.tokens import SESSION_SECONDS, TokenCodec, TokenExpired, TokenInvalid
from repovault.runtime import Runtime
from tests.conftest import Api


def _calls(api: Api) -> list[tuple[str, dict[str, object]]]:
    """A call on the event loop (quick) and one in a worker thread, both open to a Viewer."""
    org = api.ok("/git/organizations/add", {"driver": 6, "name": "auth-cache"})["id"]
    return [
        ("/git/organizations/getmany", {}),
        ("/plans/listassignedtoorganization", {"organizationId": org}),
    ]


def _refused(api: Api, token: str, calls: list[tuple[str, dict[str, object]]], code: str) -> None:
    for path, body in calls:
        response = api.post(path, body, token=token)
        expected = 403 if code == "AU1003" else 401
        assert response.status_code == expected, (path, response.text)
        assert response.json()["errorCode"] == code, (path, response.text)


def _served(api: Api, token: str, calls: list[tuple[str, dict[str, object]]]) -> None:
    for path, body in calls:
        for _ in range(2):
            api.ok(path, body, token=token)


def test_logout_takes_effect_at_once(api: Api) -> None:
    calls = _calls(api)
    token = api.login()
    _served(api, token, calls)
    api.ok("/account/logout", {}, token=token)
    _refused(api, token, calls, "AU1002")
    assert api.post("/account/me", {}, token=token).status_code == 401
    # Another token of the same user is not touched.
    _served(api, api.token or "", calls)


def test_a_removed_user_is_refused_at_once(api: Api, make_user: Callable[..., str]) -> None:
    calls = _calls(api)
    token = make_user("Viewer")
    _served(api, token, calls)
    user_id = api.ok("/account/me", {}, token=token)["userId"]
    api.ok("/users/remove", {"id": user_id})
    _refused(api, token, calls, "AU1001")


def test_changed_roles_take_effect_at_once(api: Api, make_user: Callable[..., str]) -> None:
    calls = _calls(api)
    token = make_user("Viewer")
    _served(api, token, calls)
    user_id = api.ok("/account/me", {}, token=token)["userId"]

    api.ok("/users/modify", {"id": user_id, "roles": ["DataRemoveManagement"]})
    _refused(api, token, calls, "AU1003")
    assert api.ok("/account/me", {}, token=token)["roles"] == ["DataRemoveManagement"]

    api.ok("/users/modify", {"id": user_id, "roles": ["GitManagement"]})
    _served(api, token, calls)
    assert api.ok("/account/me", {}, token=token)["roles"] == ["GitManagement"]


def test_a_known_token_still_expires(api: Api, runtime: Runtime) -> None:
    calls = _calls(api)
    me = api.ok("/account/me", {})
    # A 12-hour token issued almost 12 hours ago: it expires in two to three seconds.
    token, claims = runtime.tokens.issue(
        user_id=me["userId"],
        email=me["email"],
        roles=me["roles"],
        remember=False,
        now=time.time() - SESSION_SECONDS + 3,
    )
    _served(api, token, calls)
    time.sleep(max(0.0, claims.expires_at - time.time()) + 0.05)
    _refused(api, token, calls, "AU1002")


def test_the_caller_is_the_users_row(api: Api, make_user: Callable[..., str]) -> None:
    """What the handlers get as the caller loads what the check did not read (the caller
    changes its own email: the row, read back whole, is the one written)."""
    token = make_user("UserManagement")
    me = api.ok("/account/me", {}, token=token)
    api.ok("/users/modify", {"id": me["userId"], "email": "renamed@company.com"}, token=token)
    assert api.ok("/account/me", {}, token=token)["email"] == "renamed@company.com"
    page = api.ok(
        "/users/getmany",
        {"filters": [{"property": "id", "operator": "eq", "value": me["userId"]}]},
        token=token,
    )
    assert page["result"][0]["email"] == "renamed@company.com"
    assert page["result"][0]["createdAt"] > 0


def test_a_token_is_known_only_to_the_codec_that_checked_it() -> None:
    verified = VerifiedTokens()
    ours = TokenCodec(b"our secret key 0123456789", issuer="repovault", audience="repovault")
    theirs = TokenCodec(b"another secret key 012345", issuer="repovault", audience="repovault")
    token, claims = ours.issue(user_id="u", email="e@x", roles=[], remember=False)
    assert verified.decode(ours, token) == claims
    assert verified.decode(ours, token) == claims
    with pytest.raises(TokenInvalid):
        verified.decode(theirs, token)
    with pytest.raises(TokenInvalid):
        verified.decode(ours, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


def test_known_tokens_are_bounded_and_expire() -> None:
    verified = VerifiedTokens(size=2)
    codec = TokenCodec(b"our secret key 0123456789", issuer="repovault", audience="repovault")
    tokens = [codec.issue(user_id=str(i), email="e@x", roles=[], remember=False) for i in range(3)]
    for token, claims in tokens:
        assert verified.decode(codec, token) == claims
    assert len(verified) == 2
    soon, claims = codec.issue(
        user_id="s", email="e@x", roles=[], remember=False, now=time.time() - SESSION_SECONDS + 2
    )
    assert verified.decode(codec, soon) == claims
    time.sleep(max(0.0, claims.expires_at - time.time()) + 0.05)
    with pytest.raises(TokenExpired):
        verified.decode(codec, soon)
