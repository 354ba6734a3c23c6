"""Encryption of secrets at rest (platform tokens, storage keys, plan passwords).

AES-256-GCM with a key derived by HKDF from the server's secret key. A stored value is
`v1:` + urlsafe base64 of nonce (12 bytes) + ciphertext + tag. Secrets are never returned
by the API; only the services that need them decrypt.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"


def derive_key(secret: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        secret
    )


class SecretBox:
    """Seals and opens short secrets with the server key."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(derive_key(secret, "repovault secrets at rest v1"))

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        blob = nonce + self._aead.encrypt(nonce, plaintext.encode(), PREFIX.encode())
        return PREFIX + base64.urlsafe_b64encode(blob).decode()

    def open(self, sealed: str) -> str:
        if not sealed.startswith(PREFIX):
            raise ValueError("not a sealed secret")
        blob = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
        try:
            return self._aead.decrypt(blob[:12], blob[12:], PREFIX.encode()).decode()
        except InvalidTag as exc:
            raise ValueError("sealed secret does not open with this server key") from exc
