"""What a call handler gets: its session, the caller, and the process's shared parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from repovault.accounts.models import User
from repovault.common.tokens import Claims
from repovault.runtime import Runtime


@dataclass
class Context:
    session: Session
    runtime: Runtime
    client_addr: str
    user: User | None = None
    claims: Claims | None = None
    # Run once the call's transaction has committed (work that must see its rows).
    after_commit: list[Callable[[], object]] = field(default_factory=list)

    @property
    def caller(self) -> User:
        assert self.user is not None, "call registered as public but uses its caller"
        return self.user
