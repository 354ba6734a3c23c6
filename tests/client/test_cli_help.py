"""Every remote command's `--help`: a help text for the command and each of its arguments
and options, readable placeholders (no `<str>`, `{plan_id}`), and `--json`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from repovault.cli import app

REMOTE = ("login", "logout", "whoami", "orgs", "repos", "plans", "storages", "workers")
REMOTE_GROUPS = (*REMOTE, "users", "tasks", "audit")
PYTHON_TYPES = re.compile(r"<(str|int|bool|path|float|list\[[a-z]+\])>|\{[a-z_]+\}")


def _commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, [*path, name])
    else:
        yield path, command


def _remote() -> list[tuple[list[str], Any]]:
    root = get_command(app)
    found = []
    for name in REMOTE_GROUPS:
        found.extend(_commands(root.commands[name], [name]))  # type: ignore[attr-defined]
    return found


def test_every_remote_command_is_documented() -> None:
    runner = CliRunner()
    missing: list[str] = []
    typed: list[str] = []
    for path, command in _remote():
        where = " ".join(path)
        if not (command.help or "").strip():
            missing.append(where)
        missing.extend(
            f"{where} {param.name}"
            for param in command.params
            if not (getattr(param, "help", None) or "").strip()
        )
        if not any("--json" in getattr(param, "opts", []) for param in command.params):
            missing.append(f"{where} --json")
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, (where, shown.output)
        typed.extend(f"{where}: {m.group(0)}" for m in PYTHON_TYPES.finditer(shown.output))
    assert missing == []
    assert typed == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tasks", "list", "--status", "broken"], "give one of never, succeeded"),
        (["plans", "run", "some", "--kind", "sideways"], "give one of by-scheme, full"),
        (["orgs", "add", "gitfoo", "x"], "give one of github, bitbucket"),
    ],
)
def test_enum_options_take_names(args: list[str], message: str) -> None:
    done = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert done.exit_code == 2
    assert message in done.output
