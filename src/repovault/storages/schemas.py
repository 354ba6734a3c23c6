"""Bodies of the `/storages/*` calls."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from repovault.common.wire import Int32, RequestModel, ResponseModel


class StorageAdd(RequestModel):
    name: str = Field(min_length=1, max_length=400)
    type: Int32
    settings: dict[str, Any] = Field(default_factory=dict, max_length=20)


class StorageOut(ResponseModel):
    """A storage as `/storages/getmany` lists it: its settings without the sealed secrets."""

    id: str
    name: str
    type: int
    settings: dict[str, Any] = Field(validation_alias="public_settings")
    is_default: bool
    created_at: int


class StorageTestOut(ResponseModel):
    """What `/storages/test` found: a small object written, read back and deleted."""

    ok: bool
    detail: str
    ms: int
