"""The audit trail: each state-changing call, successful or not, becomes one entry; entries
form a hash chain, so an edited or deleted entry shows.

    hash = SHA-256 of the canonical JSON of [seq, at, userId, userEmail, address, call,
           objects, objectCount, status, outcome, prevHash]

`seq` counts 1, 2, 3...; the first entry's `prevHash` is 64 zeros. Appending takes the last
entry under a lock (SQLite's single writer; a transaction-scoped advisory lock on
PostgreSQL, so replicas append one at a time). A successful call's entry is written in the
call's own transaction: it exists exactly when the change does. A failed call's entry is
written in a transaction of its own after the call's was rolled back.

Entries never hold a secret: ids, the caller's email and address, the call's path, the
status and error code; no body. Entries older than `REPOVAULT_AUDIT_DAYS` are deleted from
the start of the chain; `verify` then starts from the oldest entry kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, delete, func, select, text
from sqlalchemy.orm import Session

from repovault.audit.models import AuditEntry
from repovault.common.paging import Column, Page, PageRequest, fetch

GENESIS = "0" * 64
OBJECTS_KEPT = 100  # ids kept per entry; `objectCount` says how many the call named
BATCH = 1000
SECRET_WORDS = ("key", "token", "secret", "password")
LOCK_KEY = 7_233_190_046  # the advisory lock of the chain's end (PostgreSQL)


@dataclass(frozen=True)
class Event:
    """A call as the audit trail records it."""

    call: str
    status: int
    outcome: str
    user_id: str | None = None
    user_email: str = ""
    address: str = ""
    objects: tuple[str, ...] = ()


def _ids(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (item for item in value if isinstance(item, str))


def _named_ids(data: Any, depth: int = 0) -> Iterator[str]:
    """The values of `id`, `ids`, `*Id` and `*Ids` members (and of a nested object's)."""
    if not isinstance(data, dict) or depth > 1:
        return
    for key, value in data.items():
        if any(word in key.lower() for word in SECRET_WORDS):
            continue  # `accessKeyId` names a credential, not an object
        if key in ("id", "ids") or key.endswith(("Id", "Ids")):
            yield from _ids(value)
        elif isinstance(value, dict):
            yield from _named_ids(value, depth + 1)


def objects_of(*parts: Any) -> tuple[str, ...]:
    """The ids a call's body and answer name, in order, once each."""
    return tuple(dict.fromkeys(found for part in parts for found in _named_ids(part)))


def digest(entry: AuditEntry) -> str:
    fields = [
        entry.seq,
        entry.at,
        entry.user_id,
        entry.user_email,
        entry.address,
        entry.call,
        list(entry.objects),
        entry.object_count,
        entry.status,
        entry.outcome,
        entry.prev_hash,
    ]
    canonical = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(session: Session, event: Event, *, now: int) -> AuditEntry:
    """Append `event` to the chain, in `session`'s transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    entry = AuditEntry(
        seq=last.seq + 1 if last else 1,
        at=now,
        user_id=event.user_id,
        user_email=event.user_email[:320],
        address=event.address[:100],
        call=event.call[:200],
        objects=[str(found)[:200] for found in event.objects[:OBJECTS_KEPT]],
        object_count=len(event.objects),
        status=event.status,
        outcome=event.outcome[:40],
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = digest(entry)
    session.add(entry)
    return entry


@dataclass(frozen=True)
class Verification:
    valid: bool
    checked: int
    first_seq: int  # the oldest entry kept (older ones expired), 0 when there is none
    head_seq: int
    head_hash: str  # note it elsewhere: a later verify shows the chain still holds it
    broken_at: int | None = None
    reason: str = ""


def _entries(session: Session) -> Iterator[AuditEntry]:
    after = 0
    while True:
        batch = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].seq
        session.expunge_all()


def _broken(entry: AuditEntry, previous: AuditEntry | None) -> str:
    """Why `entry` does not follow `previous` (None: it is the oldest kept), or ''."""
    if previous is None:
        if entry.seq == 1 and entry.prev_hash != GENESIS:
            return "the first entry does not start the chain"
    elif entry.seq != previous.seq + 1:
        return f"entries {previous.seq + 1} to {entry.seq - 1} are missing"
    elif entry.prev_hash != previous.hash:
        return f"it does not name entry {previous.seq}'s hash"
    if digest(entry) != entry.hash:
        return "its content does not match its hash (it was changed)"
    return ""


def verify(session: Session) -> Verification:
    """Walk the chain from the oldest entry kept, in batches (constant memory)."""
    previous: AuditEntry | None = None
    checked = first = 0
    for entry in _entries(session):
        reason = _broken(entry, previous)
        if reason:
            return Verification(
                False,
                checked,
                first,
                previous.seq if previous else 0,
                previous.hash if previous else "",
                entry.seq,
                f"entry {entry.seq}: {reason}",
            )
        first = first or entry.seq
        checked += 1
        previous = entry
    if previous is None:
        return Verification(True, 0, 0, 0, GENESIS)
    return Verification(True, checked, first, previous.seq, previous.hash)


def forget_old(session: Session, *, now: int, keep_days: int) -> int:
    """Delete the entries older than the history kept, from the start of the chain."""
    if keep_days <= 0:
        return 0
    before = now - keep_days * 86_400_000
    upto = session.scalar(
        select(func.max(AuditEntry.seq)).where(
            AuditEntry.seq.in_(
                select(AuditEntry.seq)
                .where(AuditEntry.at < before)
                .order_by(AuditEntry.seq)
                .limit(BATCH * 2)
            )
        )
    )
    if upto is None:
        return 0
    gone = session.execute(delete(AuditEntry).where(AuditEntry.seq <= upto))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


FIELDS = {
    "id": Column(AuditEntry.id, "id"),
    "seq": Column(AuditEntry.seq, "int"),
    "at": Column(AuditEntry.at, "int"),
    "userid": Column(AuditEntry.user_id, "id"),
    "useremail": Column(AuditEntry.user_email, "str"),
    "address": Column(AuditEntry.address, "str"),
    "call": Column(AuditEntry.call, "str"),
    "objects": Column(cast(AuditEntry.objects, String), "str"),
    "status": Column(AuditEntry.status, "int"),
    "outcome": Column(AuditEntry.outcome, "str"),
}


def list_entries(session: Session, request: PageRequest) -> Page:
    """A page of the trail, newest first unless the request orders it otherwise."""
    if request.orderby is None:
        request = request.model_copy(
            update={"orderby": "seq", "ordertype": request.ordertype or "desc"}
        )
    return fetch(session, select(AuditEntry), request, FIELDS, AuditEntry.id)
