"""`repovault login`, `logout` and `whoami`: the session kept for the other commands."""

from __future__ import annotations

import json
import os
from typing import Annotated

import httpx
import typer

from repovault.cli.remote.output import JsonOpt, console, out
from repovault.cli.remote.session import (
    EXIT_AUTH,
    EXIT_UNREACHABLE,
    config_path,
    fail,
    remote,
    save,
)
from repovault.client import ApiError, Client


def login(
    server: Annotated[str, typer.Option(help="The server's base URL")],
    email: Annotated[str, typer.Option(prompt=True, help="Your e-mail address")],
    password_env: Annotated[
        str | None, typer.Option(help="Variable holding the password (else it is asked for)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Log in to a server and keep the token (30 days) for the other commands."""
    password = os.environ.get(password_env, "") if password_env else ""
    if not password:
        password = typer.prompt("Password", hide_input=True)
    client = Client(server)
    try:
        reply = client.login(email, password)
    except ApiError as exc:
        fail(f"{exc.detail} [{exc.code}]", EXIT_AUTH)
    except httpx.TransportError as exc:
        fail(f"cannot reach {server}: {exc}", EXIT_UNREACHABLE)
    finally:
        client.close()
    save(server.rstrip("/"), reply["accessToken"])
    console.print(f"logged in to {server} as {email} (token kept in {config_path()})")
    if as_json:
        out.print_json(json.dumps({"server": server.rstrip("/"), "email": email}))


def whoami(as_json: JsonOpt = False) -> None:
    """The logged-in user and their roles."""
    with remote() as api:
        me = api.me()
    if as_json:
        out.print_json(json.dumps(me))
    else:
        out.print(f"{me.get('email')} ({', '.join(me.get('roles', []))})")


def logout(as_json: JsonOpt = False) -> None:
    """Revoke the kept token and forget it."""
    with remote() as api:
        api.logout()
    config_path().unlink(missing_ok=True)
    console.print("logged out")
    if as_json:
        out.print_json(json.dumps({"action": "logged out"}))
