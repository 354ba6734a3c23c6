"""JWT access tokens (HS256) with the .NET claim URIs of the reference's sample token."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from repovault.common.secrets import derive_key

CLAIM_ID = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
CLAIM_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
CLAIM_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
CLAIM_ROLE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"

REMEMBER_SECONDS = 30 * 24 * 3600
SESSION_SECONDS = 12 * 3600


class TokenInvalid(Exception):
    """The token is malformed, signed with another key, or for another issuer/audience."""


class TokenExpired(Exception):
    pass


@dataclass(frozen=True)
class Claims:
    user_id: str
    email: str
    roles: list[str]
    jti: str
    expires_at: int


class TokenCodec:
    def __init__(self, secret: bytes, *, issuer: str, audience: str) -> None:
        self._key = derive_key(secret, "repovault access tokens v1")
        self.issuer = issuer
        self.audience = audience

    def issue(
        self,
        *,
        user_id: str,
        email: str,
        roles: list[str],
        remember: bool,
        now: float | None = None,
    ) -> tuple[str, Claims]:
        issued = int(now if now is not None else time.time())
        expires = issued + (REMEMBER_SECONDS if remember else SESSION_SECONDS)
        jti = secrets.token_hex(16)
        payload: dict[str, Any] = {
            CLAIM_ID: user_id,
            CLAIM_NAME: email,
            CLAIM_EMAIL: email,
            CLAIM_ROLE: roles,
            "jti": jti,
            "iat": issued,
            "exp": expires,
            "iss": self.issuer,
            "aud": self.audience,
        }
        token = jwt.encode(payload, self._key, algorithm="HS256")
        return token, Claims(user_id, email, roles, jti, expires)

    def decode(self, token: str) -> Claims:
        try:
            data = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iss", "aud", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired from exc
        except jwt.PyJWTError as exc:
            raise TokenInvalid(str(exc)) from exc
        roles = data.get(CLAIM_ROLE, [])
        if isinstance(roles, str):
            roles = [roles]
        return Claims(
            user_id=str(data.get(CLAIM_ID, "")),
            email=str(data.get(CLAIM_EMAIL, "")),
            roles=list(roles),
            jti=str(data["jti"]),
            expires_at=int(data["exp"]),
        )
