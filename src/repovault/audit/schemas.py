"""The answers of the audit calls."""

from __future__ import annotations

from typing import Any

from repovault.common.wire import ResponseModel


class AuditEntryOut(ResponseModel):
    """One state-changing call (read from the entry row)."""

    id: str
    seq: int
    at: int
    user_id: str | None
    user_email: str
    address: str
    call: str
    objects: list[Any]
    object_count: int
    status: int
    outcome: str
    prev_hash: str
    hash: str


class AuditVerification(ResponseModel):
    """`valid`: every entry kept follows the one before it and matches its hash."""

    valid: bool
    checked: int
    first_seq: int
    head_seq: int
    head_hash: str
    broken_at: int | None
    reason: str
