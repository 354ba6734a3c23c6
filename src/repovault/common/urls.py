"""URLs never carry credentials: tokens belong in the credential fields, sealed at rest.

A URL is stored and shown as it was given (`serverId`, `url`, `apiUrl`), so a token written
into it would be kept in plain text and returned to every reader. An ssh URL keeps its login
name (`ssh://git@host/...`): ssh needs it, and it is no secret.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from repovault.common.errors import InvalidInput


def credentials_in(url: str) -> str:
    """The part of the URL before `@` in its host that is a secret, or ''."""
    parts = urlsplit(url)
    userinfo, at, _host = parts.netloc.rpartition("@")
    if not at or (parts.scheme == "ssh" and ":" not in userinfo):
        return ""
    return userinfo


def check_no_credentials(url: str, field: str, *, instead: str) -> None:
    if credentials_in(url):
        raise InvalidInput.field(
            field,
            f"a URL must not carry a user or token before '@'; put the token in {instead}",
        )
