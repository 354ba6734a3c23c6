"""How the remote commands read and show their parameters: enum options by name, and usage
lines and help tables with readable placeholders (`PLAN`, `--kind KIND`) rather than the
`{plan_id}`, `<str>` and `<bool>` Typer would print."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperOption

from repovault.cli.remote.session import EXIT_USAGE, fail
from repovault.common.enums import Labeled

# Argument names as people say them: `organization_id` is shown as ORG.
_ARGUMENTS = {"organization_id": "ORG", "repository_ids": "REPOSITORY..."}
# The help of the arguments every noun shares, said once (`resolve.py` reads them).
SHARED_HELP = {
    "organization_id": "An organization: its id, a unique id prefix or its name",
    "repository_id": "A repository: its id, a unique id prefix or its full name (team/app)",
    "repository_ids": "Repositories: ids, unique id prefixes or full names (team/app)",
    "plan_id": "A plan: its id, a unique id prefix or its name",
    "task_id": "A task id",
    "user_id": "A user id",
    "storage_id": "A storage id",
    "project_id": "An Azure DevOps project id",
}


def name_of(member: Labeled) -> str:
    """The name an option takes for a member: `TaskStatus.NOT_STARTED` is `not-started`."""
    return member.name.lower().replace("_", "-")


def names(enum: type[Labeled]) -> str:
    """The names an enum option takes, for its help text."""
    return ", ".join(name_of(member) for member in enum)


def enum_value(enum: type[Labeled], text: str | None, option: str) -> int | None:
    """The number an option names: a member's name (`failed`, `github`) or its number."""
    if text is None:
        return None
    wanted = text.strip().lower().replace("_", "-")
    found = [member for member in enum if wanted in (name_of(member), str(member.value))]
    if not found:
        fail(f"{option} {text}: give one of {names(enum)}", EXIT_USAGE)
    return found[0].value


def _placeholder(param: Any) -> str | None:
    if isinstance(param, TyperArgument):
        name = str(param.name)
        if name in _ARGUMENTS:
            return _ARGUMENTS[name]
        shown = name.removesuffix("_id").upper()
        return f"{shown}..." if param.nargs != 1 else shown
    if isinstance(param, TyperOption):
        if param.is_flag or param.is_bool_flag:
            return ""
        longest = max(param.opts, key=len).lstrip("-")
        return longest.upper().replace("-", "_")
    return None


class _Argument(TyperArgument):
    def _usage_display_name(self) -> str:
        """`PLAN` (required) or `[PLAN]`, not Typer's `{plan_id}`."""
        return str(self.metavar) if self.required else f"[{self.metavar}]"

    def display_type_rich(self, ctx: Any) -> str | None:
        """No `<str>` column: the name says what to give."""
        return None


class RemoteCommand(TyperCommand):
    """A command whose parameters without a metavar get a readable one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if not getattr(param, "help", None) and param.name in SHARED_HELP:
                param.help = SHARED_HELP[param.name]  # type: ignore[attr-defined]

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            if param.metavar is None:
                param.metavar = _placeholder(param)
            if isinstance(param, TyperArgument) and not isinstance(param, _Argument):
                param.__class__ = _Argument
        return params


def readable(*apps: typer.Typer) -> None:
    """Every command of these apps shows readable placeholders (`RemoteCommand`)."""
    for app in apps:
        for info in app.registered_commands:
            if info.cls in (None, TyperCommand):
                info.cls = RemoteCommand
        for group in app.registered_groups:
            if group.typer_instance is not None:
                readable(group.typer_instance)
