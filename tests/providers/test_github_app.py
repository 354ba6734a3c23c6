"""A GitHub organization authenticated as a GitHub App installation: the driver mints an
installation token with a JWT signed by the app's key, uses it for the API and for git, keeps
it until shortly before it expires, and says plainly what is wrong with a bad key or id."""

from __future__ import annotations

import time

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from repovault.providers.base import Access, GitHubApp, ProviderAuthError
from repovault.providers.github import GitHubDriver
from repovault.providers.github_app import REFRESH_BEFORE_S, InstallationTokens
from tests.providers.fake_github import FakeGitHub, repository

APP_ID, INSTALLATION = 4242, 77


def _keys() -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


PRIVATE, PUBLIC = _keys()


@pytest.fixture
def fake() -> FakeGitHub:
    fake = FakeGitHub()
    fake.apps[APP_ID] = (PUBLIC, {INSTALLATION})
    fake.orgs["acme"] = [repository(1, "acme/app"), repository(2, "acme/lib")]
    fake.valid_tokens = set()  # only the tokens the app minted open anything
    return fake


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _driver(fake: FakeGitHub, app: GitHubApp, tokens: InstallationTokens) -> GitHubDriver:
    client = httpx.Client(transport=httpx.MockTransport(fake.handler))
    driver = GitHubDriver(Access(1, "acme", None, None, None, github_app=app), client)
    driver._app_token = lambda: tokens.token(client, driver.api.base_url, app)  # type: ignore[method-assign]
    return driver


def test_the_installation_token_opens_the_api_and_git(fake: FakeGitHub) -> None:
    tokens = InstallationTokens()
    driver = _driver(fake, GitHubApp(APP_ID, INSTALLATION, PRIVATE), tokens)
    assert [r.name for r in driver.repositories()] == ["acme/app", "acme/lib"]
    assert len(fake.minted) == 1  # one mint for every request of the listing
    used = {r.headers.get("authorization") for r in fake.requests if "/app/" not in r.url.path}
    assert used == {f"Bearer {fake.minted[0]}"}
    credentials = driver.git_credentials()
    assert credentials is not None
    assert (credentials.username, credentials.password) == ("x-access-token", fake.minted[0])


def test_a_token_about_to_expire_is_minted_again(fake: FakeGitHub) -> None:
    clock = Clock()
    clock.now = time.time()  # the fake dates expires_at by the wall clock
    fake.token_lifetime_s = int(REFRESH_BEFORE_S) + 10
    tokens = InstallationTokens(clock)
    app = GitHubApp(APP_ID, INSTALLATION, PRIVATE)
    client = httpx.Client(transport=httpx.MockTransport(fake.handler))
    first = tokens.token(client, "https://api.github.com", app)
    clock.now += 5  # more than the margin left: kept
    assert tokens.token(client, "https://api.github.com", app) == first
    clock.now += 10  # within the margin: a new one, before the old one expires
    second = tokens.token(client, "https://api.github.com", app)
    assert second != first
    assert fake.minted == [first, second]


def test_wrong_installation_and_wrong_key_are_named(fake: FakeGitHub) -> None:
    tokens = InstallationTokens()
    client = httpx.Client(transport=httpx.MockTransport(fake.handler))
    with pytest.raises(ProviderAuthError, match="has no installation 99"):
        tokens.token(client, "https://api.github.com", GitHubApp(APP_ID, 99, PRIVATE))
    other, _ = _keys()
    with pytest.raises(ProviderAuthError, match="refused the app 4242's signature"):
        tokens.token(client, "https://api.github.com", GitHubApp(APP_ID, INSTALLATION, other))
    with pytest.raises(ProviderAuthError, match="private key cannot sign"):
        tokens.token(client, "https://api.github.com", GitHubApp(APP_ID, INSTALLATION, "nope"))
    assert fake.minted == []


def test_the_key_never_shows_in_a_repr() -> None:
    app = GitHubApp(APP_ID, INSTALLATION, PRIVATE)
    assert "PRIVATE" not in repr(app)
    assert "PRIVATE" not in repr(Access(1, "acme", None, None, None, github_app=app))
