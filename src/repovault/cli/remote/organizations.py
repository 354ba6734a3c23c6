"""`repovault orgs`: the organizations, adding and changing them, and their synchronization."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from repovault.cli.remote.output import JsonOpt, console, print_id, show
from repovault.cli.remote.session import remote

orgs = typer.Typer(help="Organizations (GitHub, GitLab, Bitbucket, Azure DevOps, Gitea, Git)")


@orgs.command("list")
def orgs_list(as_json: JsonOpt = False) -> None:
    with remote() as api:
        items = list(api.iter_organizations())
    show(
        items,
        as_json,
        [
            ("id", "id"),
            ("name", "name"),
            ("driver", "driver"),
            ("protected", "protectedRepositories"),
            ("total", "totalRepositories"),
            ("removed", "removedRepositories"),
            ("syncing", "synchronizationInProgress"),
        ],
        items,
    )


@orgs.command("add")
def orgs_add(
    driver: Annotated[
        int, typer.Argument(help="1 GitHub, 2 Bitbucket, 3 GitLab, 4 Azure, 5 Gitea, 6 Git")
    ],
    name: str,
    api_url: Annotated[str | None, typer.Option(help="Server or file:// folder")] = None,
    username: str | None = None,
    token_env: Annotated[str | None, typer.Option(help="Variable holding the token")] = None,
    worker: Annotated[str | None, typer.Option(help="Default worker id")] = None,
    auto_add: Annotated[
        bool, typer.Option(help="New repositories join all-repository plans")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add an organization (its credentials are checked against the platform)."""
    token = os.environ.get(token_env) if token_env else None
    with remote() as api:
        reply = api.add_organization(
            driver,
            name,
            api_url=api_url,
            username=username,
            token=token,
            default_worker_id=worker,
            auto_add_new_repositories=auto_add,
        )
    print_id(reply, as_json)


@orgs.command("modify")
def orgs_modify(
    organization_id: str,
    name: str | None = None,
    api_url: Annotated[str | None, typer.Option(help="Server or file:// folder")] = None,
    username: str | None = None,
    token_env: Annotated[str | None, typer.Option(help="Variable holding a new token")] = None,
    worker: Annotated[str | None, typer.Option(help="Default worker id")] = None,
    auto_add: Annotated[bool | None, typer.Option(help="New repositories join plans")] = None,
    read_only: Annotated[bool | None, typer.Option(help="Read-only organization")] = None,
) -> None:
    """Change an organization; what is not given is kept."""
    fields = {
        "name": name,
        "apiUrl": api_url,
        "username": username,
        "token": os.environ.get(token_env) if token_env else None,
        "defaultWorkerId": worker,
        "autoAddNewRepositories": auto_add,
        "isReadOnly": read_only,
    }
    with remote() as api:
        api.modify_organization(
            organization_id, **{k: v for k, v in fields.items() if v is not None}
        )


@orgs.command("remove")
def orgs_remove(
    organization_id: str,
    remove_data: Annotated[bool, typer.Option(help="Also delete its backups")] = False,
) -> None:
    with remote() as api:
        api.remove_organization(organization_id, remove_data=remove_data)


@orgs.command("sync")
def orgs_sync(organization_id: str) -> None:
    """Synchronize the organization's repository list now (a sync task)."""
    with remote() as api:
        api.sync(organization_id)
    console.print("synchronization queued (see `repovault tasks list --kind sync`)")
