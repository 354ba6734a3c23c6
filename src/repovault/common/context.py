"""What a call handler gets: its session, the caller, and the server's shared parts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
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
    http: httpx.Client  # every call to a platform goes through it (tests swap its transport)
    # Set when the API has queued work, so the task loop dispatches it at once.
    wake: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        """Release connections."""
        self.http.close()
        self.db.dispose()


@dataclass
class Context:
    session: Session
    services: Services
    client_addr: str
    user: User | None = None
    claims: Claims | None = None
    # Run once the call's transaction has committed (work that must see its rows).
    after_commit: list[Callable[[], object]] = field(default_factory=list)

    @property
    def caller(self) -> User:
        assert self.user is not None, "call registered as public but uses its caller"
        return self.user
