"""Failed logins are limited per email, per client address and overall, and the client
address is the peer's own unless the peer is a configured proxy.

A forged `X-Forwarded-For` from an untrusted peer must not make each guess look like a new
client; guesses spread over many emails must hit the per-address limit; guesses spread over
many addresses (behind a trusted proxy, or a botnet) must hit the overall limit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from repovault.app import create_app
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

PEER = ("192.0.2.10", 40000)  # TEST-NET-1: an address in the ASGI scope only, never contacted


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    runtime.settings.login_max_failures = 3
    runtime.settings.login_max_failures_per_address = 5
    runtime.settings.login_max_failures_overall = 12
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False, client=PEER) as c:
        yield c


def _login(client: TestClient, email: str, password: str = "wrong-password", xff: str = "") -> int:
    headers = {"X-Forwarded-For": xff} if xff else {}
    response = client.post(
        "/account/login", json={"email": email, "password": password}, headers=headers
    )
    if response.status_code == 429:
        assert response.json()["errorCode"] == "AU1007"
        assert int(response.headers["Retry-After"]) > 0
    return response.status_code


def _someone() -> str:
    return f"{uuid.uuid4().hex[:8]}@company.com"


def _forged() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(client: TestClient) -> None:
    statuses = [_login(client, _someone(), xff=_forged()) for _ in range(6)]
    # Five failures from one address, whatever each request claimed; the sixth is refused.
    assert statuses == [401] * 5 + [429]
    assert _login(client, ADMIN_EMAIL, ADMIN_PASSWORD, xff=_forged()) == 429


def test_guesses_over_many_emails_hit_the_address_limit(client: TestClient) -> None:
    assert [_login(client, _someone()) for _ in range(6)] == [401] * 5 + [429]


def test_behind_a_trusted_proxy_each_client_counts_apart(
    client: TestClient, runtime: Runtime
) -> None:
    runtime.settings.trusted_proxies = ["192.0.2.0/24"]
    first, second = "203.0.113.7", "203.0.113.8"
    assert [_login(client, _someone(), xff=first) for _ in range(6)] == [401] * 5 + [429]
    # Another client behind the same proxy is not punished for the first one's guesses; a
    # proxy chain is read from the right, past the trusted hops.
    assert _login(client, ADMIN_EMAIL, ADMIN_PASSWORD, xff=f"{first}, {second}") == 200
    # The left-most entry is the client's own claim: it cannot choose its address.
    assert _login(client, _someone(), xff=f"{second}, {first}") == 429


def test_guesses_from_many_addresses_hit_the_overall_limit(
    client: TestClient, runtime: Runtime
) -> None:
    runtime.settings.trusted_proxies = ["192.0.2.10"]
    statuses = [_login(client, _someone(), xff=f"203.0.113.{i + 1}") for i in range(13)]
    assert statuses == [401] * 12 + [429]
    assert _login(client, ADMIN_EMAIL, ADMIN_PASSWORD, xff="203.0.113.200") == 429


def test_a_good_login_clears_only_its_email(client: TestClient) -> None:
    for _ in range(2):
        assert _login(client, ADMIN_EMAIL) == 401
    assert _login(client, ADMIN_EMAIL, ADMIN_PASSWORD) == 200
    # The address keeps its failures: three more make five, and the next is refused.
    assert [_login(client, _someone()) for _ in range(3)] == [401] * 3
    assert _login(client, _someone()) == 429
