"""How an organization authenticates to its platform: a token (sealed), a file holding the
token (read at every use, so a mounted secret that rotates is always current), or a GitHub
App installation (its private key sealed; tokens minted by providers/github_app.py). One of
the three; `additionalTokens` only beside a token."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from repovault.common.errors import InvalidInput
from repovault.common.secrets import SecretBox
from repovault.providers.base import GitHubApp, ProviderAuthError

GITHUB = 1
MAX_TOKEN_FILE = 64 * 1024


@dataclass(frozen=True)
class Credential:
    token: str | None = None
    token_file: str | None = None
    github_app: GitHubApp | None = None


def checked(driver: int, credential: Credential) -> Credential:
    """The credential, refused when it mixes kinds or does not fit the driver."""
    given = [
        name
        for name, value in (
            ("token", credential.token),
            ("tokenFile", credential.token_file),
            ("githubApp", credential.github_app),
        )
        if value
    ]
    if len(given) > 1:
        raise InvalidInput.field(given[1], f"give one of {' or '.join(given)}, not both")
    if credential.github_app and driver != GITHUB:
        raise InvalidInput.field(
            "githubApp", "a GitHub App authenticates GitHub organizations only"
        )
    if credential.token_file is not None and not os.path.isabs(credential.token_file):
        raise InvalidInput.field("tokenFile", "give the absolute path of the file")
    return credential


def read_token_file(path: str) -> str:
    """The token in `path` (surrounding whitespace removed), read now."""
    try:
        with Path(path).open("rb") as file:
            raw = file.read(MAX_TOKEN_FILE + 1)
    except OSError as exc:
        raise ProviderAuthError(f"the token file {path} cannot be read: {exc.strerror}") from exc
    if len(raw) > MAX_TOKEN_FILE:
        raise ProviderAuthError(f"the token file {path} is larger than {MAX_TOKEN_FILE} bytes")
    token = raw.decode("utf-8", "replace").strip()
    if not token:
        raise ProviderAuthError(f"the token file {path} is empty")
    return token


def seal_app(box: SecretBox, app: GitHubApp) -> str:
    fields = {
        "appId": app.app_id,
        "installationId": app.installation_id,
        "privateKey": app.private_key,
    }
    return box.seal(json.dumps(fields))


def open_app(box: SecretBox, sealed: str) -> GitHubApp:
    fields = json.loads(box.open(sealed))
    return GitHubApp(int(fields["appId"]), int(fields["installationId"]), str(fields["privateKey"]))
