"""Remote mode: every API call from the terminal, through `repovault.client`.

    repovault login --server https://backup.example.com --email admin@example.org
    repovault orgs list
    repovault repos list my-org --search api      # a name, an id or a unique id prefix
    repovault plans run nightly                   # waits; --no-wait prints the task ids
    repovault tasks watch --json                  # JSON Lines events

The server and token are kept in `$XDG_CONFIG_HOME/repovault/config.json` (default
`~/.config/repovault/`), readable by the user only; `REPOVAULT_SERVER` and `REPOVAULT_TOKEN`
override them (for scripts). Tables by default, `--json` for scripts (one shape per kind,
docs/cli.md). Exit codes: 0 done, 1 other API error, 2 bad usage, 3 not found, 4 not logged
in or not allowed, 5 conflict, 6 a task ended failed or canceled, 7 the server cannot be
reached.

One module per noun (`account.py`: login, logout, whoami; `organizations.py`,
`repositories.py` with `contents.py` (what a snapshot holds), `exports.py` (`repos export`,
`orgs export`) and `restores.py` (`repos restore --to-organization`, `orgs restore`),
`plans.py`, `storages.py`, `workers.py`, `users.py`, `tasks.py`, `audit.py`), on top of
`session.py` (the kept token, the client, API errors as exit codes), `output.py` (tables or
JSON, confirmations), `resolve.py` (ids, id prefixes and names) and `usage.py` (enum names,
readable help).
"""

from __future__ import annotations

import typer

from repovault.cli.remote import account, contents, exports, restores
from repovault.cli.remote.audit import audit
from repovault.cli.remote.organizations import orgs
from repovault.cli.remote.plans import plans
from repovault.cli.remote.repositories import repos
from repovault.cli.remote.session import config_path
from repovault.cli.remote.storages import storages
from repovault.cli.remote.tasks import tasks
from repovault.cli.remote.usage import RemoteCommand, readable
from repovault.cli.remote.users import users
from repovault.cli.remote.workers import workers

__all__ = ["config_path", "register"]


def register(app: typer.Typer) -> None:
    app.command(cls=RemoteCommand)(account.login)
    app.command(cls=RemoteCommand)(account.logout)
    app.command(cls=RemoteCommand)(account.whoami)
    orgs.command("export")(exports.orgs_export)
    orgs.command("restore")(restores.orgs_restore)
    app.add_typer(orgs, name="orgs")
    repos.command("export")(exports.repos_export)
    repos.command("export-many")(exports.repos_export_many)
    for name in ("documents", "issues", "pulls", "releases", "issue", "pull", "release"):
        repos.command(name)(getattr(contents, f"repos_{name}"))
    app.add_typer(repos, name="repos")
    app.add_typer(plans, name="plans")
    app.add_typer(storages, name="storages")
    app.add_typer(workers, name="workers")
    app.add_typer(users, name="users")
    app.add_typer(tasks, name="tasks")
    app.add_typer(audit, name="audit")
    readable(orgs, repos, plans, storages, workers, users, tasks, audit)
