"""The answers of the worker calls."""

from __future__ import annotations

from repovault.common.wire import ResponseModel


class WorkerOut(ResponseModel):
    """A worker as `/workers/getmany` lists it (read from the worker row)."""

    id: str
    name: str
    hostname: str
    version: str
    last_seen: int
    is_online: bool
