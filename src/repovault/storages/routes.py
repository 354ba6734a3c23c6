"""`/storages/*` calls."""

from __future__ import annotations

from repovault.accounts.roles import ADMIN_ONLY, READ_GIT
from repovault.accounts.schemas import IdRequest, IdResponse
from repovault.api.calls import Calls
from repovault.api.context import Context
from repovault.common.paging import PageOf, PageRequest
from repovault.storages import service
from repovault.storages.schemas import StorageAdd, StorageOut, StorageTestOut

calls = Calls("storages")


@calls.post("/storages/add", body=StorageAdd, roles=ADMIN_ONLY, write=True)
def add(ctx: Context, body: StorageAdd) -> IdResponse:
    """Add a backup storage: type 1 local folder {path}, type 2 S3-compatible bucket."""
    storage = service.add_storage(
        ctx.session, ctx.runtime.box, name=body.name, type=body.type, settings=body.settings
    )
    return IdResponse(id=storage.id)


@calls.post(
    "/storages/getmany",
    body=PageRequest,
    roles=READ_GIT,
    write=False,
    response=PageOf[StorageOut],
)
def getmany(ctx: Context, body: PageRequest) -> PageOf[StorageOut]:
    """List backup storages (secrets are never returned)."""
    return service.list_storages(ctx.session, body).of(StorageOut)


@calls.post("/storages/remove", body=IdRequest, roles=ADMIN_ONLY, write=True)
def remove(ctx: Context, body: IdRequest) -> None:
    """Remove a storage record that no plan uses (its data stays where it is)."""
    service.remove_storage(ctx.session, storage_id=body.id)


@calls.post("/storages/test", body=IdRequest, roles=ADMIN_ONLY, write=True)
def probe(ctx: Context, body: IdRequest) -> StorageTestOut:
    """Write, read back and delete a small object on a storage (its reason when that fails)."""
    found = service.probe_storage(ctx.session, ctx.runtime.box, storage_id=body.id)
    return StorageTestOut(**found)
