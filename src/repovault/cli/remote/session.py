"""The logged-in session: the kept server and token, the client made from them, and the API's
errors turned into a message and an exit code.

The server and token are kept in `$XDG_CONFIG_HOME/repovault/config.json` (default
`~/.config/repovault/`), readable by the user only; `REPOVAULT_SERVER` and `REPOVAULT_TOKEN`
override them (for scripts).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer

from repovault.cli.remote.output import console
from repovault.client import (
    ApiError,
    Client,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
)

EXIT_API = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_AUTH = 4
EXIT_CONFLICT = 5
EXIT_TASK_FAILED = 6
EXIT_UNREACHABLE = 7


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "repovault" / "config.json"


def save(server: str, token: str) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"server": server, "token": token}, handle)
    tmp.replace(path)


def _load() -> tuple[str, str]:
    saved: dict[str, str] = {}
    if config_path().exists():
        saved = json.loads(config_path().read_text())
    server = os.environ.get("REPOVAULT_SERVER") or saved.get("server")
    token = os.environ.get("REPOVAULT_TOKEN") or saved.get("token")
    if not server or not token:
        fail("not logged in: run `repovault login --server URL`", EXIT_AUTH)
    return server, token


def fail(message: str, code: int) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@contextmanager
def remote() -> Iterator[Client]:
    """The logged-in client; API errors become a message and an exit code."""
    server, token = _load()
    client = Client(server, token=token)
    try:
        yield client
    except (Unauthorized, Forbidden) as exc:
        hint = " (log in again)" if isinstance(exc, Unauthorized) else ""
        fail(f"{exc.detail} [{exc.code}]{hint}", EXIT_AUTH)
    except NotFound as exc:
        fail(f"{exc.detail} [{exc.code}]", EXIT_NOT_FOUND)
    except Conflict as exc:
        fail(f"{exc.detail} [{exc.code}]", EXIT_CONFLICT)
    except ApiError as exc:
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        fail(f"{exc.detail} [{exc.code}]{' — ' + fields if fields else ''}", EXIT_API)
    except httpx.TransportError as exc:
        fail(f"cannot reach {server}: {exc}", EXIT_UNREACHABLE)
    finally:
        client.close()


def filters(**given: Any) -> list[dict[str, Any]] | None:
    """The `filters` of a list call: each given value, `contains` for a name, else `eq`."""
    found = [
        {"property": prop, "operator": "eq" if prop != "name" else "contains", "value": value}
        for prop, value in given.items()
        if value is not None
    ]
    return found or None
