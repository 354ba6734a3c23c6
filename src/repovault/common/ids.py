"""GUID ids as the API uses them: lowercase canonical strings."""

from __future__ import annotations

import uuid


def new_id() -> str:
    return str(uuid.uuid4())


def parse_guid(value: object) -> str | None:
    """The canonical form of a GUID string, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None
