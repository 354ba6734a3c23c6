"""Worker records: registered agents and their heartbeats."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from repovault.common.clock import now_ms
from repovault.common.ids import new_id
from repovault.db import Base

ONLINE_WITHIN_MS = 90_000


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    hostname: Mapped[str] = mapped_column(String(400), default="")
    version: Mapped[str] = mapped_column(String(50), default="")
    last_seen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)

    @property
    def is_online(self) -> bool:
        """A heartbeat within the last `ONLINE_WITHIN_MS`."""
        return now_ms() - self.last_seen < ONLINE_WITHIN_MS
