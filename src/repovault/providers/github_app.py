"""GitHub App authentication: an organization can authenticate as an installation of a
GitHub App instead of with a token (github.com and Enterprise Server alike).

    JWT (RS256, iss = app id, 10 minutes at most, signed with the app's private key)
      -> POST {api}/app/installations/{installation}/access_tokens
      -> {"token": "ghs_...", "expires_at": "2026-12-01T05:00:00Z"}   (one hour)

An installation token is kept in this process until `REFRESH_BEFORE_S` before it expires,
then minted again, so a long synchronization or backup never meets an expired token and
the platform sees one mint an hour per installation, not one per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

import httpx
import jwt

from repovault.providers.base import GitHubApp, ProviderAuthError, ProviderError

REFRESH_BEFORE_S = 300.0
JWT_LIFETIME_S = 540  # GitHub accepts at most 10 minutes
CLOCK_SKEW_S = 60  # issued a minute in the past, as GitHub advises

Clock = Callable[[], float]


def app_jwt(app: GitHubApp, now: float) -> str:
    try:
        return jwt.encode(
            {
                "iat": int(now) - CLOCK_SKEW_S,
                "exp": int(now) + JWT_LIFETIME_S,
                "iss": str(app.app_id),
            },
            app.private_key,
            algorithm="RS256",
        )
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ProviderAuthError(
            f"the GitHub App {app.app_id}'s private key cannot sign: {type(exc).__name__} "
            "(give the PEM the app's settings page downloaded)"
        ) from exc


class InstallationTokens:
    """Installation tokens by (API, app, installation), minted when missing or about to
    expire; thread-safe (one mint at a time per process)."""

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self._tokens: dict[tuple[str, int, int], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, client: httpx.Client, api_url: str, app: GitHubApp) -> str:
        key = (api_url, app.app_id, app.installation_id)
        with self._lock:
            found = self._tokens.get(key)
            if found is not None and found[1] - self.clock() > REFRESH_BEFORE_S:
                return found[0]
            token, expires = self._mint(client, api_url, app)
            self._tokens[key] = (token, expires)
            return token

    def _mint(self, client: httpx.Client, api_url: str, app: GitHubApp) -> tuple[str, float]:
        url = f"{api_url.rstrip('/')}/app/installations/{app.installation_id}/access_tokens"
        headers = {
            "Authorization": f"Bearer {app_jwt(app, self.clock())}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        try:
            response = client.post(url, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderError(f"cannot reach GitHub to mint an app token: {exc}") from exc
        if response.status_code in (401, 403):
            raise ProviderAuthError(
                f"GitHub refused the app {app.app_id}'s signature ({response.status_code}): "
                "check githubApp.appId and githubApp.privateKey"
            )
        if response.status_code == 404:
            raise ProviderAuthError(
                f"GitHub App {app.app_id} has no installation {app.installation_id} "
                "(install the app on the organization, or check githubApp.installationId)"
            )
        if response.status_code != 201:
            raise ProviderError(
                f"GitHub answered {response.status_code} when minting an app token",
                permanent=response.status_code < 500,
            )
        body = response.json()
        expires = datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00"))
        return str(body["token"]), expires.timestamp()


TOKENS = InstallationTokens()  # the process's own
