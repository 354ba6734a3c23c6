"""The licence pool: one licence protects one repository.

Activation counts the licences in use and grants them in request order until the pool
(`REPOVAULT_LICENCES`, unlimited when unset) is exhausted. Two activations never both take
the last licence: SQLite write transactions are `BEGIN IMMEDIATE` (see db.py) and on
PostgreSQL the pool is guarded by a transaction-scoped advisory lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import structlog
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.ids import parse_guid
from repovault.repositories.models import Repository

log = structlog.get_logger(__name__)

POOL_LOCK_KEY = 5020


def _lock_pool(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POOL_LOCK_KEY})


def licences_in_use(session: Session) -> int:
    stmt = select(func.count()).select_from(Repository).where(Repository.licence_active)
    return int(session.scalar(stmt) or 0)


def _resolve(session: Session, ids: Iterable[Any]) -> list[tuple[str, Repository | None]]:
    """Each requested id (as sent, stringified) with its repository, or None if unknown."""
    wanted = [(str(raw), parse_guid(raw)) for raw in ids]
    guids = [g for _, g in wanted if g]
    found = {r.id: r for r in session.scalars(select(Repository).where(Repository.id.in_(guids)))}
    return [(raw, found.get(g) if g else None) for raw, g in wanted]


def set_licences(
    session: Session, ids: list[Any], *, active: bool, pool: int | None
) -> tuple[list[str], list[tuple[str, str]]]:
    """(ids that now have the wanted state, [(id, error code)])."""
    _lock_pool(session)
    in_use = licences_in_use(session) if active else 0
    success: list[str] = []
    errors: list[tuple[str, str]] = []
    for raw, repo in _resolve(session, ids):
        if repo is None:
            errors.append((raw, codes.REPOSITORY_NOT_FOUND))
            continue
        if repo.licence_active == active:
            success.append(repo.id)
            continue
        if active and pool is not None and in_use >= pool:
            errors.append((repo.id, codes.LICENCE_EXHAUSTED))
            continue
        repo.licence_active = active
        in_use += 1 if active else 0
        success.append(repo.id)
    log.info(
        "licences activated" if active else "licences deactivated",
        changed=len(success),
        failed=len(errors),
        pool=pool,
    )
    return success, errors
