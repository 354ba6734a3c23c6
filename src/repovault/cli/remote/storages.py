"""`repovault storages`: where backups are kept (local folders, S3 buckets)."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from repovault.cli.remote.output import JsonOpt, YesOpt, confirm, did, print_id, show
from repovault.cli.remote.session import EXIT_USAGE, fail, remote

storages = typer.Typer(help="Where backups are kept")


@storages.command("list")
def storages_list(as_json: JsonOpt = False) -> None:
    """The storages."""
    with remote() as api:
        reply = api.list_storages(limit=1000)
    show(
        reply["result"],
        as_json,
        [("id", "id"), ("name", "name"), ("type", "type"), ("default", "isDefault")],
        reply["result"],
    )


@storages.command("add")
def storages_add(
    name: Annotated[str, typer.Argument(help="The storage's name")],
    path: Annotated[str | None, typer.Option(help="A local folder (type 1)")] = None,
    bucket: Annotated[str | None, typer.Option(help="An S3 bucket (type 2)")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="S3: the endpoint (default: AWS)")
    ] = None,
    prefix: Annotated[str, typer.Option(help="S3: put keys under this prefix")] = "",
    region: Annotated[str | None, typer.Option(help="S3: the bucket's region")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a local folder (--path) or an S3 bucket (--bucket; keys from AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY)."""
    if (path is None) == (bucket is None):
        fail("give either --path or --bucket", EXIT_USAGE)
    settings: dict[str, Any]
    if path is not None:
        kind, settings = 1, {"path": path}
    else:
        kind, settings = (
            2,
            {
                "bucket": bucket,
                "endpointUrl": endpoint_url,
                "prefix": prefix,
                "region": region,
                "accessKeyId": os.environ.get("AWS_ACCESS_KEY_ID", ""),
                "secretAccessKey": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
            },
        )
    with remote() as api:
        reply = api.add_storage(name, kind, settings)
    print_id(reply, as_json)


@storages.command("remove")
def storages_remove(storage_id: str, yes: YesOpt = False, as_json: JsonOpt = False) -> None:
    """Remove a storage (one that no plan uses)."""
    confirm(f"Remove storage {storage_id}?", yes)
    with remote() as api:
        api.remove_storage(storage_id)
    did(as_json, f"storage {storage_id} removed", storage_id, "removed")
