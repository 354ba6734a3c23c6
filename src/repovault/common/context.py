"""What a call handler gets: its session, the caller, and the server's shared parts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from repovault.accounts.models import User
from repovault.accounts.passwords import Passwords
from repovault.accounts.tokens import Claims, TokenCodec
from repovault.common.secrets import SecretBox
from repovault.config import Settings
from repovault.db import Database


@dataclass(frozen=True)
class Services:
    """Built once per process by `app.create_app`."""

    settings: Settings
    db: Database
    box: SecretBox
    tokens: TokenCodec
    passwords: Passwords


@dataclass
class Context:
    session: Session
    services: Services
    client_addr: str
    user: User | None = None
    claims: Claims | None = None

    @property
    def caller(self) -> User:
        assert self.user is not None, "call registered as public but uses its caller"
        return self.user
