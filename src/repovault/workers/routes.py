"""`/workers/getmany`."""

from __future__ import annotations

from typing import Any

from repovault.accounts.roles import READ_GIT
from repovault.api.calls import Calls
from repovault.api.context import Context
from repovault.common.clock import now_ms
from repovault.common.paging import PageOf, PageRequest
from repovault.common.wire import ResponseModel
from repovault.workers import service
from repovault.workers.models import ONLINE_WITHIN_MS

calls = Calls("workers")


class WorkerOut(ResponseModel):
    id: str
    name: str
    hostname: str
    version: str
    last_seen: int
    is_online: bool


@calls.post(
    "/workers/getmany",
    body=PageRequest,
    roles=READ_GIT,
    write=False,
    response=PageOf[WorkerOut],
)
def getmany(ctx: Context, body: PageRequest) -> dict[str, Any]:
    """List workers; isOnline means a heartbeat within the last 90 seconds."""
    page = service.list_workers(ctx.session, body)
    now = now_ms()
    return page.envelope(
        [
            WorkerOut(
                id=w.id,
                name=w.name,
                hostname=w.hostname,
                version=w.version,
                last_seen=w.last_seen,
                is_online=now - w.last_seen < ONLINE_WITHIN_MS,
            ).model_dump(by_alias=True)
            for (w,) in page.rows
        ]
    )
