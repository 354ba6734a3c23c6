"""Remote mode: every API call from the terminal, through `repovault.client`.

    repovault login --server https://backup.example.com --email admin@example.org
    repovault orgs list
    repovault repos list ORG_ID --search api
    repovault plans run PLAN_ID --wait
    repovault tasks watch

The server and token are kept in `$XDG_CONFIG_HOME/repovault/config.json` (default
`~/.config/repovault/`), readable by the user only; `REPOVAULT_SERVER` and `REPOVAULT_TOKEN`
override them (for scripts). Tables by default, `--json` for scripts. Exit codes: 0 done,
1 other API error, 2 bad usage, 3 not found, 4 not logged in or not allowed, 5 conflict,
6 a task ended failed or canceled, 7 the server cannot be reached.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from repovault.cli.engine import AllowEarlierOpt
from repovault.client import (
    ApiError,
    Client,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
)
from repovault.tasks.models import status_label

console = Console(stderr=True)
out = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
EXIT_API, EXIT_NOT_FOUND, EXIT_AUTH, EXIT_CONFLICT, EXIT_TASK_FAILED, EXIT_UNREACHABLE = (
    1,
    3,
    4,
    5,
    6,
    7,
)


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "repovault" / "config.json"


def _save(server: str, token: str) -> None:
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
        _fail("not logged in: run `repovault login --server URL`", EXIT_AUTH)
    return server, token


def _fail(message: str, code: int) -> NoReturn:
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
        _fail(f"{exc.detail} [{exc.code}]{hint}", EXIT_AUTH)
    except NotFound as exc:
        _fail(f"{exc.detail} [{exc.code}]", EXIT_NOT_FOUND)
    except Conflict as exc:
        _fail(f"{exc.detail} [{exc.code}]", EXIT_CONFLICT)
    except ApiError as exc:
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        _fail(f"{exc.detail} [{exc.code}]{' — ' + fields if fields else ''}", EXIT_API)
    except httpx.TransportError as exc:
        _fail(f"cannot reach {server}: {exc}", EXIT_UNREACHABLE)
    finally:
        client.close()


def _when(ms: int | None) -> str:
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def _show(data: Any, as_json: bool, columns: list[tuple[str, str]], rows: list[Any]) -> None:
    """`--json` prints the API's answer as is; otherwise a table of `rows`."""
    if as_json:
        out.print_json(json.dumps(data))
        return
    table = Table(*[title for title, _ in columns])
    for row in rows:
        table.add_row(*[_cell(row, key) for _, key in columns])
    out.print(table)


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if key in {
        "lastBackup",
        "lastSuccessfulBackup",
        "nextBackup",
        "startedAt",
        "finishedAt",
        "createdAt",
        "lastSeen",
        "planFinishedTime",
    }:
        return _when(value)
    if key in {"status", "lastBackupTaskStatus"} and isinstance(value, int):
        return status_label(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _filters(**given: Any) -> list[dict[str, Any]] | None:
    filters = [
        {"property": prop, "operator": "eq" if prop != "name" else "contains", "value": value}
        for prop, value in given.items()
        if value is not None
    ]
    return filters or None


# ---- login ---------------------------------------------------------------------------------


def login(
    server: Annotated[str, typer.Option(help="The server's base URL")],
    email: Annotated[str, typer.Option(prompt=True)],
    password_env: Annotated[
        str | None, typer.Option(help="Variable holding the password (else it is asked for)")
    ] = None,
) -> None:
    """Log in to a server and keep the token (30 days) for the other commands."""
    password = os.environ.get(password_env, "") if password_env else ""
    if not password:
        password = typer.prompt("Password", hide_input=True)
    client = Client(server)
    try:
        reply = client.login(email, password)
    except ApiError as exc:
        _fail(f"{exc.detail} [{exc.code}]", EXIT_AUTH)
    except httpx.TransportError as exc:
        _fail(f"cannot reach {server}: {exc}", EXIT_UNREACHABLE)
    finally:
        client.close()
    _save(server.rstrip("/"), reply["accessToken"])
    console.print(f"logged in to {server} as {email} (token kept in {config_path()})")


def whoami(as_json: JsonOpt = False) -> None:
    """The logged-in user and their roles."""
    with remote() as api:
        me = api.me()
    if as_json:
        out.print_json(json.dumps(me))
    else:
        out.print(f"{me.get('email')} ({', '.join(me.get('roles', []))})")


def logout() -> None:
    """Revoke the kept token and forget it."""
    with remote() as api:
        api.logout()
    config_path().unlink(missing_ok=True)
    console.print("logged out")


# ---- organizations -------------------------------------------------------------------------

orgs = typer.Typer(help="Organizations (GitHub, GitLab, Bitbucket, Azure DevOps, Gitea, Git)")


@orgs.command("list")
def orgs_list(as_json: JsonOpt = False) -> None:
    with remote() as api:
        items = list(api.iter_organizations())
    _show(
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
    _print_id(reply, as_json)


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


def _print_id(reply: dict[str, Any], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(reply))
    else:
        out.print(reply.get("id") or reply)


# ---- repositories --------------------------------------------------------------------------

repos = typer.Typer(help="Repositories, their snapshots, restore and verify")


@repos.command("list")
def repos_list(
    organization_id: str,
    search: Annotated[str | None, typer.Option(help="Part of the name")] = None,
    as_json: JsonOpt = False,
) -> None:
    with remote() as api:
        items = list(api.iter_repositories(organization_id, filters=_filters(name=search)))
    _show(
        items,
        as_json,
        [
            ("id", "id"),
            ("name", "name"),
            ("protected", "isProtected"),
            ("removed", "isRemoved"),
            ("last backup", "lastBackup"),
            ("last good", "lastSuccessfulBackup"),
            ("status", "lastBackupTaskStatus"),
            ("next", "nextBackup"),
        ],
        items,
    )


@repos.command("add")
def repos_add(organization_id: str, urls: list[str], as_json: JsonOpt = False) -> None:
    """Add repositories by git URL to a Git (driver 6) organization."""
    with remote() as api:
        reply = api.add_repositories(organization_id, urls)
    if as_json:
        out.print_json(json.dumps(reply))
    else:
        for repository_id in reply["ids"]:
            out.print(repository_id)


def _batch(action: Callable[[Client], dict[str, Any]], as_json: bool) -> None:
    with remote() as api:
        reply = action(api)
    if as_json:
        out.print_json(json.dumps(reply))
        return
    for error in reply.get("error") or reply.get("errors") or []:
        console.print(
            f"[red]{error.get('id')}[/red]: {error.get('errorCode')} {error.get('message', '')}"
        )
    failed = reply.get("error") or reply.get("failedIds")
    if failed:
        raise typer.Exit(EXIT_API)


@repos.command("activate")
def repos_activate(repository_ids: list[str], as_json: JsonOpt = False) -> None:
    """Give repositories a licence (protect them)."""
    _batch(lambda api: api.activate(repository_ids), as_json)


@repos.command("deactivate")
def repos_deactivate(repository_ids: list[str], as_json: JsonOpt = False) -> None:
    _batch(lambda api: api.deactivate(repository_ids), as_json)


@repos.command("remove")
def repos_remove(
    repository_ids: list[str],
    remove_data: Annotated[bool, typer.Option(help="Also delete their backups")] = False,
    as_json: JsonOpt = False,
) -> None:
    _batch(lambda api: api.remove_repositories(repository_ids, remove_data=remove_data), as_json)


@repos.command("snapshots")
def repos_snapshots(repository_id: str, as_json: JsonOpt = False) -> None:
    """The snapshots storage holds, newest first."""
    with remote() as api:
        items = list(api.iter_snapshots(repository_id))
    _show(
        items,
        as_json,
        [
            ("snapshot", "id"),
            ("created", "createdAt"),
            ("kind", "kind"),
            ("bytes", "sizeBytes"),
            ("refs", "refCount"),
            ("parent", "parentId"),
        ],
        items,
    )


@repos.command("restore")
def repos_restore(
    repository_id: str,
    to: Annotated[Path | None, typer.Option(help="A new or empty folder on the worker")] = None,
    push: Annotated[str | None, typer.Option(help="A git URL to push to")] = None,
    token_env: Annotated[str | None, typer.Option(help="Variable holding the push token")] = None,
    snapshot: Annotated[str | None, typer.Option(help="Snapshot id (default: the newest)")] = None,
    allow_earlier: AllowEarlierOpt = False,
    work_tree: Annotated[bool, typer.Option(help="A checkout, not a bare repository")] = False,
    wait: Annotated[bool, typer.Option(help="Wait and show progress")] = True,
) -> None:
    """Restore a snapshot to a folder on the worker, or push it to a git URL."""
    if (to is None) == (push is None):
        _fail("give either --to PATH or --push URL", 2)
    target: dict[str, Any]
    if to is not None:
        target = {
            "kind": "directory",
            "path": str(to.expanduser().resolve()),
            "bare": not work_tree,
        }
    else:
        target = {"kind": "url", "url": push}
        if token_env:
            target["token"] = os.environ.get(token_env, "")
    with remote() as api:
        task_id = api.restore(
            repository_id, target, snapshot_id=snapshot, allow_earlier=allow_earlier
        )["taskId"]
        _after_start(api, [task_id], wait)


@repos.command("verify")
def repos_verify(
    repository_id: str,
    snapshot: Annotated[str | None, typer.Option(help="One snapshot (default: all)")] = None,
    wait: Annotated[bool, typer.Option(help="Wait and show progress")] = True,
) -> None:
    """Rebuild the snapshots with git and check every object."""
    with remote() as api:
        task_id = api.verify(repository_id, snapshot_id=snapshot)["taskId"]
        _after_start(api, [task_id], wait)


# ---- plans ---------------------------------------------------------------------------------

plans = typer.Typer(help="Backup plans")


@plans.command("list")
def plans_list(organization_id: str, as_json: JsonOpt = False) -> None:
    with remote() as api:
        items = list(api.iter_plans(organization_id))
    _show(
        items,
        as_json,
        [("id", "id"), ("name", "name"), ("all repositories", "includeAllRepositories")],
        items,
    )


@plans.command("get")
def plans_get(plan_id: str) -> None:
    """The full plan as JSON (edit it and give it to `plans modify --file`)."""
    with remote() as api:
        out.print_json(json.dumps(api.get_plan(plan_id)))


def _read_plan(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text() if str(path) != "-" else sys.stdin.read())
    except (OSError, ValueError) as exc:
        _fail(f"cannot read the plan from {path}: {exc}", 2)
    if not isinstance(data, dict):
        _fail("the plan must be a JSON object", 2)
    return data


PlanFile = Annotated[Path, typer.Option("--file", "-f", help="The plan DTO as JSON (- for stdin)")]
AzureOpt = Annotated[bool, typer.Option(help="An Azure DevOps plan")]


@plans.command("create")
def plans_create(file: PlanFile, azure: AzureOpt = False, as_json: JsonOpt = False) -> None:
    plan = _read_plan(file)
    with remote() as api:
        reply = api.create_azure_plan(plan) if azure else api.create_git_plan(plan)
    _print_id(reply, as_json)


@plans.command("modify")
def plans_modify(file: PlanFile, azure: AzureOpt = False) -> None:
    plan = _read_plan(file)
    with remote() as api:
        if azure:
            api.modify_azure_plan(plan)
        else:
            api.modify_git_plan(plan)


@plans.command("attach")
def plans_attach(plan_id: str, repository_id: str) -> None:
    """Add a repository to an individual-selection plan."""
    with remote() as api:
        api.attach_git_repository(plan_id, repository_id)


@plans.command("detach")
def plans_detach(plan_id: str, repository_id: str) -> None:
    with remote() as api:
        api.detach_git_repository(plan_id, repository_id)


@plans.command("attach-project")
def plans_attach_project(plan_id: str, project_id: str) -> None:
    """Add an Azure DevOps project (its repositories) to a plan."""
    with remote() as api:
        api.attach_azure_project(plan_id, project_id)


@plans.command("detach-project")
def plans_detach_project(plan_id: str, project_id: str) -> None:
    with remote() as api:
        api.detach_azure_project(plan_id, project_id)


@plans.command("remove")
def plans_remove(plan_id: str) -> None:
    with remote() as api:
        api.remove_plan(plan_id)


@plans.command("run")
def plans_run(
    plan_id: str,
    kind: Annotated[int | None, typer.Option(help="1 full, 2 differential, 3 incremental")] = None,
    wait: Annotated[bool, typer.Option(help="Wait and show progress")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a plan now."""
    with remote() as api:
        task_ids = api.run_plan(plan_id, kind=kind)["taskIds"]
        if as_json and not wait:
            out.print_json(json.dumps({"taskIds": task_ids}))
            return
        console.print(f"{len(task_ids)} task(s) queued")
        _after_start(api, task_ids, wait)


@plans.command("cancel")
def plans_cancel(plan_id: str) -> None:
    with remote() as api:
        api.cancel_plan(plan_id)


# ---- storages, workers, users --------------------------------------------------------------

storages = typer.Typer(help="Where backups are kept")


@storages.command("list")
def storages_list(as_json: JsonOpt = False) -> None:
    with remote() as api:
        reply = api.list_storages(limit=1000)
    _show(
        reply,
        as_json,
        [("id", "id"), ("name", "name"), ("type", "type"), ("default", "isDefault")],
        reply["result"],
    )


@storages.command("add")
def storages_add(
    name: str,
    path: Annotated[str | None, typer.Option(help="A local folder (type 1)")] = None,
    bucket: Annotated[str | None, typer.Option(help="An S3 bucket (type 2)")] = None,
    endpoint_url: str | None = None,
    prefix: str = "",
    region: str | None = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a local folder (--path) or an S3 bucket (--bucket; keys from AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY)."""
    if (path is None) == (bucket is None):
        _fail("give either --path or --bucket", 2)
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
    _print_id(reply, as_json)


@storages.command("remove")
def storages_remove(storage_id: str) -> None:
    with remote() as api:
        api.remove_storage(storage_id)


workers = typer.Typer(help="Workers and their heartbeats")


@workers.command("list")
def workers_list(as_json: JsonOpt = False) -> None:
    with remote() as api:
        reply = api.list_workers(limit=1000)
    _show(
        reply,
        as_json,
        [
            ("id", "id"),
            ("name", "name"),
            ("host", "hostname"),
            ("version", "version"),
            ("last seen", "lastSeen"),
            ("online", "isOnline"),
        ],
        reply["result"],
    )


users = typer.Typer(help="Users and roles")


@users.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    with remote() as api:
        reply = api.list_users(limit=1000, orderby="email")
    rows = [dict(u, roles=", ".join(u.get("roles", []))) for u in reply["result"]]
    _show(reply, as_json, [("id", "id"), ("email", "email"), ("roles", "roles")], rows)


@users.command("create")
def users_create(
    email: str,
    role: Annotated[list[str], typer.Option(help="SystemAdministrator, GitManagement, ...")],
    password_env: Annotated[str | None, typer.Option(help="Variable holding the password")] = None,
    as_json: JsonOpt = False,
) -> None:
    password = os.environ.get(password_env, "") if password_env else ""
    if not password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with remote() as api:
        reply = api.create_user(email, password, role)
    _print_id(reply, as_json)


@users.command("modify")
def users_modify(
    user_id: str,
    email: str | None = None,
    role: Annotated[list[str] | None, typer.Option(help="The new roles (all of them)")] = None,
    password_env: Annotated[str | None, typer.Option(help="Variable holding a password")] = None,
) -> None:
    password = os.environ.get(password_env) if password_env else None
    with remote() as api:
        api.modify_user(user_id, email=email, password=password, roles=role)


@users.command("remove")
def users_remove(user_id: str) -> None:
    with remote() as api:
        api.remove_user(user_id)


# ---- tasks ---------------------------------------------------------------------------------

tasks = typer.Typer(help="Tasks: backups, restores, verifications, synchronizations")


@tasks.command("list")
def tasks_list(
    plan: Annotated[str | None, typer.Option(help="Plan id")] = None,
    repository: Annotated[str | None, typer.Option(help="Repository id")] = None,
    kind: Annotated[str | None, typer.Option(help="backup, restore, verify, sync, prune")] = None,
    status: Annotated[int | None, typer.Option(help="1 ok .. 7, see docs/tasks.md")] = None,
    limit: int = 25,
    as_json: JsonOpt = False,
) -> None:
    """The newest tasks."""
    with remote() as api:
        reply = api.list_tasks(
            limit=limit,
            filters=_filters(planId=plan, repositoryId=repository, kind=kind, status=status),
        )
    _show(
        reply,
        as_json,
        [
            ("id", "id"),
            ("kind", "kind"),
            ("status", "status"),
            ("progress", "progress"),
            ("attempt", "attempt"),
            ("started", "startedAt"),
            ("finished", "finishedAt"),
            ("error", "error"),
        ],
        reply["result"],
    )


@tasks.command("get")
def tasks_get(task_id: str, as_json: JsonOpt = False) -> None:
    """One task and its log."""
    with remote() as api:
        task = api.get_task(task_id)
    if as_json:
        out.print_json(json.dumps(task))
        return
    out.print(
        f"{task['kind']} task {task['id']}: {status_label(task['status'])} "
        f"({task['progress']}%, attempt {task['attempt']})"
    )
    colours = {"success": "green", "info": "white", "warning": "yellow", "error": "red"}
    for line in task["logs"]:
        colour = colours.get(line["level"], "white")
        out.print(
            f"{_when(line['time'])} [{colour}]{line['level']:>7}[/{colour}] {line['message']}",
            highlight=False,
        )


@tasks.command("cancel")
def tasks_cancel(task_id: str) -> None:
    with remote() as api:
        api.cancel_task(task_id)


@tasks.command("watch")
def tasks_watch(
    task_ids: Annotated[list[str] | None, typer.Argument(help="Default: every open task")] = None,
) -> None:
    """Live progress bars until the tasks end (exit 6 if one failed)."""
    with remote() as api:
        if not task_ids:
            found = api.list_tasks(
                limit=1000,
                filters=[{"property": "status", "operator": "in", "value": [5, 6]}],
            )
            task_ids = [t["id"] for t in found["result"]]
        if not task_ids:
            console.print("no task is queued or running")
            return
        _watch(api, task_ids)


def _after_start(api: Client, task_ids: list[str], wait: bool) -> None:
    if not wait:
        for task_id in task_ids:
            out.print(task_id)
        return
    _watch(api, task_ids)


def _watch(api: Client, task_ids: list[str]) -> None:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bars: dict[str, TaskID] = {}

        def update(found: list[dict[str, Any]]) -> None:
            for task in found:
                if task["id"] not in bars:
                    label = f"{task['kind']} {task.get('repositoryId') or task['id']}"[:48]
                    bars[task["id"]] = progress.add_task(label, total=100, state="")
                progress.update(
                    bars[task["id"]],
                    completed=task["progress"],
                    state=status_label(task["status"]),
                )

        ended = api.wait_for_tasks(task_ids, interval=0.5, on_update=update)
    bad = [t for t in ended if t["status"] in (3, 4, 7)]
    for task in bad:
        console.print(
            f"[red]{task['id']}[/red] {status_label(task['status'])}: {task.get('error') or ''}"
        )
    console.print(f"{len(ended) - len(bad)} of {len(ended)} task(s) succeeded")
    if bad:
        raise typer.Exit(EXIT_TASK_FAILED)


def register(app: typer.Typer) -> None:
    app.command()(login)
    app.command()(logout)
    app.command()(whoami)
    app.add_typer(orgs, name="orgs")
    app.add_typer(repos, name="repos")
    app.add_typer(plans, name="plans")
    app.add_typer(storages, name="storages")
    app.add_typer(workers, name="workers")
    app.add_typer(users, name="users")
    app.add_typer(tasks, name="tasks")
