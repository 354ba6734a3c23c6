"""`repovault orgs`: the organizations, adding and changing them, and their synchronization."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from repovault.cli.remote import resolve
from repovault.cli.remote.output import JsonOpt, YesOpt, confirm, did, print_id, show
from repovault.cli.remote.session import EXIT_USAGE, fail, remote
from repovault.cli.remote.usage import enum_value, names
from repovault.common.enums import Driver

orgs = typer.Typer(help="Organizations (GitHub, GitLab, Bitbucket, Azure DevOps, Gitea, Git)")


@orgs.command("list")
def orgs_list(as_json: JsonOpt = False) -> None:
    """The organizations, with their repository counts."""
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


UsernameOpt = Annotated[str | None, typer.Option(help="The user the token belongs to")]
TokenEnv = Annotated[
    str | None, typer.Option(help="Name of the environment variable holding the token")
]
TokenFile = Annotated[
    str | None,
    typer.Option(help="A file on the server holding the token, read at every use (rotates)"),
]
AppId = Annotated[int | None, typer.Option(help="GitHub App id (with the two below)")]
InstallationId = Annotated[int | None, typer.Option(help="The app's installation id")]
AppKey = Annotated[
    Path | None, typer.Option(help="The GitHub App's private key (.pem), read here and sent")
]
SshKey = Annotated[
    Path | None,
    typer.Option(help="Git over SSH: a private key without passphrase, read here and sent"),
]
KnownHosts = Annotated[
    Path | None, typer.Option(help="known_hosts lines pinning the SSH servers' host keys")
]
AcceptNew = Annotated[
    bool, typer.Option(help="Pin each SSH server's host key on first use (on each worker)")
]


def _read(option: str, path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        fail(f"{option} {path}: {exc.strerror}", EXIT_USAGE)


def ssh_fields(key: Path | None, known_hosts: Path | None, accept_new: bool) -> dict[str, Any]:
    """The `ssh` member of an add or modify body (none when no SSH option is given)."""
    ssh: dict[str, Any] = {}
    if key is not None:
        ssh["privateKey"] = _read("--ssh-key", key)
    if known_hosts is not None:
        ssh["knownHosts"] = _read("--known-hosts", known_hosts)
    if accept_new:
        ssh["acceptNewHostKey"] = True
    return {"ssh": ssh} if ssh else {}


def credential_fields(
    token_env: str | None,
    token_file: str | None,
    app_id: int | None,
    installation_id: int | None,
    app_key: Path | None,
) -> dict[str, Any]:
    """The credential members of an add or modify body; refuses what cannot work."""
    fields: dict[str, Any] = {}
    if token_env:
        token = os.environ.get(token_env, "")
        if not token:
            fail(f"--token-env {token_env}: that variable is not set or empty", EXIT_USAGE)
        fields["token"] = token
    if token_file:
        fields["tokenFile"] = token_file
    app = (app_id, installation_id, app_key)
    if any(part is not None for part in app):
        if app_id is None or installation_id is None or app_key is None:
            fail("a GitHub App needs --app-id, --installation-id and --app-key", EXIT_USAGE)
        key = _read("--app-key", app_key)
        fields["githubApp"] = {
            "appId": app_id,
            "installationId": installation_id,
            "privateKey": key,
        }
    if len(fields) > 1:
        fail("give one of --token-env, --token-file or a GitHub App", EXIT_USAGE)
    return fields


@orgs.command("add")
def orgs_add(
    driver: Annotated[str, typer.Argument(help=f"The platform: {names(Driver)} (or 1-6)")],
    name: Annotated[str, typer.Argument(help="The organization's name (as on the platform)")],
    api_url: Annotated[str | None, typer.Option(help="Server or file:// folder")] = None,
    username: UsernameOpt = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    app_id: AppId = None,
    installation_id: InstallationId = None,
    app_key: AppKey = None,
    ssh_key: SshKey = None,
    known_hosts: KnownHosts = None,
    accept_new_host_key: AcceptNew = False,
    worker: Annotated[str | None, typer.Option(help="Default worker id")] = None,
    auto_add: Annotated[
        bool, typer.Option(help="New repositories join all-repository plans")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add an organization (its credentials are checked against the platform)."""
    platform = enum_value(Driver, driver, "DRIVER")
    if platform == Driver.GIT and not api_url:
        fail(
            "a Git organization needs --api-url: a file:// folder of bare repositories or "
            "a server (then add repositories with `repovault repos add ORG URL...`)",
            EXIT_USAGE,
        )
    credential = credential_fields(token_env, token_file, app_id, installation_id, app_key)
    with remote() as api:
        reply = api.add_organization(
            int(platform or 0),
            name,
            api_url=api_url,
            username=username,
            token=credential.get("token"),
            token_file=credential.get("tokenFile"),
            github_app=credential.get("githubApp"),
            ssh=ssh_fields(ssh_key, known_hosts, accept_new_host_key).get("ssh"),
            default_worker_id=worker,
            auto_add_new_repositories=auto_add,
        )
    print_id(reply, as_json)


@orgs.command("modify")
def orgs_modify(
    organization_id: str,
    name: Annotated[str | None, typer.Option(help="A new name")] = None,
    api_url: Annotated[str | None, typer.Option(help="Server or file:// folder")] = None,
    username: UsernameOpt = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    app_id: AppId = None,
    installation_id: InstallationId = None,
    app_key: AppKey = None,
    ssh_key: SshKey = None,
    known_hosts: KnownHosts = None,
    accept_new_host_key: AcceptNew = False,
    worker: Annotated[str | None, typer.Option(help="Default worker id")] = None,
    auto_add: Annotated[bool | None, typer.Option(help="New repositories join plans")] = None,
    read_only: Annotated[bool | None, typer.Option(help="Read-only organization")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an organization; what is not given is kept (a new credential replaces the old)."""
    fields = {
        **credential_fields(token_env, token_file, app_id, installation_id, app_key),
        **ssh_fields(ssh_key, known_hosts, accept_new_host_key),
        "name": name,
        "apiUrl": api_url,
        "username": username,
        "defaultWorkerId": worker,
        "autoAddNewRepositories": auto_add,
        "isReadOnly": read_only,
    }
    with remote() as api:
        organization_id = resolve.organization(api, organization_id)
        api.modify_organization(
            organization_id, **{k: v for k, v in fields.items() if v is not None}
        )
    did(as_json, f"organization {organization_id} changed", organization_id, "changed")


@orgs.command("remove")
def orgs_remove(
    organization_id: str,
    remove_data: Annotated[bool, typer.Option(help="Also delete its backups")] = False,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove an organization (and with --remove-data its backups)."""
    with remote() as api:
        organization_id = resolve.organization(api, organization_id)
        what = " and its backups" if remove_data else ""
        confirm(f"Remove organization {organization_id}{what}?", yes)
        api.remove_organization(organization_id, remove_data=remove_data)
    did(as_json, f"organization {organization_id} removed{what}", organization_id, "removed")


@orgs.command("sync")
def orgs_sync(organization_id: str, as_json: JsonOpt = False) -> None:
    """Synchronize the organization's repository list now (a sync task)."""
    with remote() as api:
        organization_id = resolve.organization(api, organization_id)
        api.sync(organization_id)
    did(
        as_json,
        f"organization {organization_id}: synchronization queued "
        "(see `repovault tasks list --kind sync`)",
        organization_id,
        "sync queued",
    )
