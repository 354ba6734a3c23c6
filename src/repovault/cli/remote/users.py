"""`repovault users`: the users and their roles."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from repovault.cli.remote.output import JsonOpt, YesOpt, confirm, did, print_id, show
from repovault.cli.remote.session import remote

users = typer.Typer(help="Users and roles")


@users.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """The users and their roles."""
    with remote() as api:
        reply = api.list_users(limit=1000, orderby="email")
    rows = [dict(u, roles=", ".join(u.get("roles", []))) for u in reply["result"]]
    show(reply["result"], as_json, [("id", "id"), ("email", "email"), ("roles", "roles")], rows)


@users.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="Their e-mail address (their login)")],
    role: Annotated[list[str], typer.Option(help="SystemAdministrator, GitManagement, ...")],
    password_env: Annotated[str | None, typer.Option(help="Variable holding the password")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user (the password is asked for unless --password-env)."""
    password = os.environ.get(password_env, "") if password_env else ""
    if not password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with remote() as api:
        reply = api.create_user(email, password, role)
    print_id(reply, as_json)


@users.command("modify")
def users_modify(
    user_id: str,
    email: Annotated[str | None, typer.Option(help="A new e-mail address")] = None,
    role: Annotated[list[str] | None, typer.Option(help="The new roles (all of them)")] = None,
    password_env: Annotated[str | None, typer.Option(help="Variable holding a password")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a user's e-mail, roles or password; what is not given is kept."""
    password = os.environ.get(password_env) if password_env else None
    with remote() as api:
        api.modify_user(user_id, email=email, password=password, roles=role)
    did(as_json, f"user {user_id} changed", user_id, "changed")


@users.command("remove")
def users_remove(user_id: str, yes: YesOpt = False, as_json: JsonOpt = False) -> None:
    """Remove a user."""
    confirm(f"Remove user {user_id}?", yes)
    with remote() as api:
        api.remove_user(user_id)
    did(as_json, f"user {user_id} removed", user_id, "removed")
