"""Expiring signed links: a download anyone holding the link may fetch until it expires.

A link names its subject (a task id) and its expiry (unix seconds), and carries
HMAC-SHA256(key, "<subject>\\n<expires>") in hex, the key derived from the server's secret for
this purpose alone (so a link can never pass for an access token or open a sealed secret).
The signature is the authentication: a link whose subject, expiry or signature was altered
is refused (`LinkInvalid`), one past its time too (`LinkExpired`), signature checked first.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from repovault.common.secrets import derive_key


class LinkInvalid(Exception):
    """Not a link this server signed: altered, truncated, or signed with another key."""


class LinkExpired(Exception):
    pass


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        self._key = derive_key(secret, "repovault download links v1")

    def signature(self, subject: str, expires: int) -> str:
        message = f"{subject}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def check(
        self, subject: str, expires: int, signature: str, *, now: float | None = None
    ) -> None:
        expected = self.signature(subject, expires)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise LinkInvalid("the link's signature does not match")
        if (now if now is not None else time.time()) >= expires:
            raise LinkExpired("the link has expired")
