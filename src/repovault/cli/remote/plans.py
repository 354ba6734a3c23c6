"""`repovault plans`: the backup plans as JSON, their selection, and running them now."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from repovault.cli.remote import resolve
from repovault.cli.remote.output import (
    JsonOpt,
    WaitOpt,
    YesOpt,
    confirm,
    did,
    out,
    print_id,
    said,
    show,
)
from repovault.cli.remote.session import EXIT_USAGE, fail, remote
from repovault.cli.remote.tasks import after_start
from repovault.cli.remote.usage import enum_value, names
from repovault.client import Client
from repovault.common.enums import BackupKind, ChoiceMode

plans = typer.Typer(help="Backup plans")

PlanFile = Annotated[Path, typer.Option("--file", "-f", help="The plan DTO as JSON (- for stdin)")]
AzureOpt = Annotated[bool, typer.Option(help="An Azure DevOps plan")]


@plans.command("list")
def plans_list(organization_id: str, as_json: JsonOpt = False) -> None:
    """An organization's plans."""
    with remote() as api:
        organization_id = resolve.organization(api, organization_id)
        items = list(api.iter_plans(organization_id))
    show(
        items,
        as_json,
        [("id", "id"), ("name", "name"), ("all repositories", "includeAllRepositories")],
        items,
    )


@plans.command("get")
def plans_get(plan_id: str, as_json: JsonOpt = True) -> None:
    """The full plan as JSON (edit it and give it to `plans modify --file`); always JSON."""
    with remote() as api:
        plan_id = resolve.plan(api, plan_id)
        out.print_json(json.dumps(api.get_plan(plan_id)))


def _read_plan(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text() if str(path) != "-" else sys.stdin.read())
    except (OSError, ValueError) as exc:
        fail(f"cannot read the plan from {path}: {exc}", EXIT_USAGE)
    if not isinstance(data, dict):
        fail("the plan must be a JSON object", EXIT_USAGE)
    return data


def _from_options(api: Client, plan: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The plan of `--file` (or none) with the options given on top, names resolved."""
    if given["org"] is not None:
        plan["organizationId"] = resolve.organization(api, given["org"])
    if "organizationId" not in plan:
        fail("give --org (or a plan file with organizationId)", EXIT_USAGE)
    if given["name"] is not None:
        plan["name"] = given["name"]
    if "name" not in plan:  # an empty one is the server's to refuse, naming the field
        fail("give --name (or a plan file with a name)", EXIT_USAGE)
    if given["repository"]:
        org = str(plan["organizationId"])
        plan["repositoriesIds"] = [resolve.repository(api, r, org) for r in given["repository"]]
        plan["gitChoiceMode"] = ChoiceMode.INDIVIDUAL.value
    elif given["all"] or "gitChoiceMode" not in plan:
        plan["gitChoiceMode"] = ChoiceMode.ALL.value
    for option, field in (("storage", "storageId"), ("worker", "workerId")):
        if given[option] is not None:
            plan[field] = given[option]
    return plan


@plans.command("create")
def plans_create(
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="The plan DTO as JSON (- for stdin); options override"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="The plan's name")] = None,
    org: Annotated[str | None, typer.Option(help="Its organization (id, prefix or name)")] = None,
    all_repositories: Annotated[
        bool, typer.Option("--all", help="Every repository of the organization (the default)")
    ] = False,
    repository: Annotated[
        list[str] | None,
        typer.Option(help="Only these repositories (repeat; id, prefix or full name)"),
    ] = None,
    storage: Annotated[str | None, typer.Option(help="Storage id (default: the default)")] = None,
    worker: Annotated[str | None, typer.Option(help="Worker id")] = None,
    azure: AzureOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a plan from options (--name, --org, ...) or from a JSON file, or both."""
    if all_repositories and repository:
        fail("give either --all or --repository", EXIT_USAGE)
    given = {"name": name, "org": org, "all": all_repositories, "repository": repository}
    given |= {"storage": storage, "worker": worker}
    with remote() as api:
        plan = _from_options(api, _read_plan(file) if file is not None else {}, given)
        reply = api.create_azure_plan(plan) if azure else api.create_git_plan(plan)
    said(f"plan {plan['name']} created: {reply.get('id')}")
    print_id(reply, as_json)


@plans.command("modify")
def plans_modify(file: PlanFile, azure: AzureOpt = False, as_json: JsonOpt = False) -> None:
    """Change a plan: the JSON of `plans get`, edited (what is absent is kept)."""
    plan = _read_plan(file)
    with remote() as api:
        if azure:
            api.modify_azure_plan(plan)
        else:
            api.modify_git_plan(plan)
    did(as_json, f"plan {plan.get('id')} changed", str(plan.get("id")), "changed")


@plans.command("attach")
def plans_attach(plan_id: str, repository_id: str, as_json: JsonOpt = False) -> None:
    """Add a repository to an individual-selection plan."""
    with remote() as api:
        plan_id = resolve.plan(api, plan_id)
        repository_id = resolve.repository(api, repository_id)
        api.attach_git_repository(plan_id, repository_id)
    did(as_json, f"repository {repository_id} added to plan {plan_id}", plan_id, "attached")


@plans.command("detach")
def plans_detach(plan_id: str, repository_id: str, as_json: JsonOpt = False) -> None:
    """Take a repository out of an individual-selection plan."""
    with remote() as api:
        plan_id = resolve.plan(api, plan_id)
        repository_id = resolve.repository(api, repository_id)
        api.detach_git_repository(plan_id, repository_id)
    did(as_json, f"repository {repository_id} taken out of plan {plan_id}", plan_id, "detached")


@plans.command("attach-project")
def plans_attach_project(plan_id: str, project_id: str, as_json: JsonOpt = False) -> None:
    """Add an Azure DevOps project (its repositories) to a plan."""
    with remote() as api:
        plan_id = resolve.plan(api, plan_id)
        api.attach_azure_project(plan_id, project_id)
    did(as_json, f"project {project_id} added to plan {plan_id}", plan_id, "attached")


@plans.command("detach-project")
def plans_detach_project(plan_id: str, project_id: str, as_json: JsonOpt = False) -> None:
    """Take an Azure DevOps project out of a plan."""
    with remote() as api:
        plan_id = resolve.plan(api, plan_id)
        api.detach_azure_project(plan_id, project_id)
    did(as_json, f"project {project_id} taken out of plan {plan_id}", plan_id, "detached")


@plans.command("remove")
def plans_remove(plan_id: str, yes: YesOpt = False, as_json: JsonOpt = False) -> None:
    """Remove a plan (its backups stay)."""
    with remote() as api:
        plan_id = resolve.plan(api, plan_id)
        confirm(f"Remove plan {plan_id}?", yes)
        api.remove_plan(plan_id)
    did(as_json, f"plan {plan_id} removed", plan_id, "removed")


@plans.command("run")
def plans_run(
    plan_id: str,
    kind: Annotated[
        str | None, typer.Option(help=f"{names(BackupKind)} (default: the plan's scheme)")
    ] = None,
    wait: WaitOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Run a plan now: its tasks' progress until they end (--no-wait: their ids)."""
    number = enum_value(BackupKind, kind, "--kind") or None  # by-scheme: as if not given
    with remote() as api:
        plan_id = resolve.plan(api, plan_id)
        task_ids = api.run_plan(plan_id, kind=number)["taskIds"]
        said(f"plan {plan_id}: {len(task_ids)} task(s) queued")
        after_start(api, task_ids, wait, as_json)


@plans.command("cancel")
def plans_cancel(plan_id: str, as_json: JsonOpt = False) -> None:
    """Cancel a plan's queued and running tasks."""
    with remote() as api:
        plan_id = resolve.plan(api, plan_id)
        api.cancel_plan(plan_id)
    did(as_json, f"plan {plan_id}: its open tasks are being canceled", plan_id, "canceled")
