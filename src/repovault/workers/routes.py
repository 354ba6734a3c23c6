"""`/workers/getmany`."""

from __future__ import annotations

from repovault.accounts.roles import READ_GIT
from repovault.api.calls import Calls
from repovault.api.context import Context
from repovault.common.paging import PageOf, PageRequest
from repovault.workers import service
from repovault.workers.schemas import WorkerOut

calls = Calls("workers")


@calls.post(
    "/workers/getmany",
    body=PageRequest,
    roles=READ_GIT,
    write=False,
    response=PageOf[WorkerOut],
)
def getmany(ctx: Context, body: PageRequest) -> PageOf[WorkerOut]:
    """List workers; isOnline means a heartbeat within the last 90 seconds."""
    return service.list_workers(ctx.session, body).of(WorkerOut)
