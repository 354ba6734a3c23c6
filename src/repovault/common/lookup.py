"""Finding a row by the id a caller sent: any malformed or unknown id is the same 404."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from repovault.common.errors import NotFound
from repovault.common.ids import parse_guid

T = TypeVar("T")


def get_by_id(session: Session, model: type[T], raw_id: object, *, code: str, what: str) -> T:
    guid = parse_guid(raw_id)
    found = session.get(model, guid) if guid else None
    if found is None:
        raise NotFound(code, f"no {what} {raw_id!r}")
    return found
