"""Audit entries: one per state-changing call, chained by hash (see service.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from repovault.common.ids import new_id
from repovault.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_user_id_seq", "user_id", "seq"),
        Index("ix_audit_entries_call_seq", "call", "seq"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # The entry's place in the chain: 1, 2, 3... (gaps only where old entries expired).
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[int] = mapped_column(BigInteger)  # ms since the epoch
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    user_email: Mapped[str] = mapped_column(String(320), default="")
    address: Mapped[str] = mapped_column(String(100), default="")
    call: Mapped[str] = mapped_column(String(200))
    # Ids the call named or created (at most OBJECTS_KEPT), and how many there were.
    objects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    object_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[int] = mapped_column(Integer)  # the HTTP status answered
    outcome: Mapped[str] = mapped_column(String(40))  # "ok", or the error code
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
