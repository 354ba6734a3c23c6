"""Restores into an organization of a platform from the command line.

    repovault repos restore REPO --to-organization ORG [--name N] [--overwrite] [--dry-run]
    repovault orgs restore ORG --to-organization TARGET [--at TIME] [--prefix P]
                               [--overwrite] [--dry-run] [--concurrency N]

Both queue restore tasks, show their progress, then print what each created (or, with
`--dry-run`, what it would create and what cannot map yet), one line per repository;
`--json` prints the finished tasks' results instead, `--no-wait` the task ids.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from repovault.cli.remote import resolve
from repovault.cli.remote.exports import AtOpt
from repovault.cli.remote.output import JsonOpt, WaitOpt, console, out
from repovault.cli.remote.session import EXIT_TASK_FAILED, remote
from repovault.cli.remote.tasks import after_start
from repovault.client import Client
from repovault.repositories.platform_targets import DRY_RUN_COUNTS

ToOrganizationOpt = Annotated[
    str, typer.Option("--to-organization", help="The organization (id) to restore into")
]
OverwriteOpt = Annotated[
    bool, typer.Option(help="Write into a repository that exists and is not empty")
]
DryRunOpt = Annotated[
    bool, typer.Option(help="Read the snapshot and the target, count, write nothing")
]


def summary(task: dict[str, Any]) -> str:
    """One line: what the platform restore created, or would create."""
    result = task.get("result") or {}
    dry = result.get("dryRun")
    if dry is not None:
        counts = ", ".join(f"{dry.get(k, 0)} {k}" for k in DRY_RUN_COUNTS)
        cannot = {k: v for k, v in (dry.get("cannotMap") or {}).items() if v}
        line = f"would create ({dry.get('repository', '?')}): {counts}"
        return line + (f"; cannot map yet: {json.dumps(cannot)}" if cannot else "")
    created = result.get("created") or {}
    kinds = ("labels", "milestones", "issues", "comments")
    counts = ", ".join(f"{len(created.get(k) or {})} {k}" for k in kinds)
    return f"restored into {created.get('repository') or '?'}: {counts}"


def report(api: Client, task_ids: list[str], as_json: bool, wait: bool) -> None:
    """Progress, then a line per task (its result as JSON with `--json`); exit 6 when one
    did not succeed."""
    if not wait:
        after_start(api, task_ids, False, as_json)
        return
    if not as_json:
        after_start(api, task_ids, True)
    tasks = api.wait_for_tasks(task_ids, interval=0.5)
    if as_json:
        out.print_json(json.dumps(tasks))
    for task in tasks:
        if task["status"] in (1, 2) and not as_json:
            out.print(f"{task.get('repositoryId')}  {summary(task)}")
        elif task["status"] not in (1, 2):
            console.print(f"[red]{task.get('repositoryId')}[/red]: {task.get('error') or 'failed'}")
    if any(t["status"] not in (1, 2) for t in tasks):
        raise typer.Exit(EXIT_TASK_FAILED)


def repos_restore_into(
    repository_id: str,
    organization_id: str,
    *,
    name: str | None,
    snapshot: str | None,
    overwrite: bool,
    dry_run: bool,
    wait: bool,
    as_json: bool = False,
) -> None:
    with remote() as api:
        organization_id = resolve.organization(api, organization_id)
        repository_id = resolve.repository(api, repository_id)
        task_id = api.restore_into_organization(
            repository_id,
            organization_id,
            name=name,
            snapshot_id=snapshot,
            overwrite=overwrite,
            dry_run=dry_run,
        )["taskId"]
        report(api, [task_id], as_json, wait)


def orgs_restore(
    organization_id: str,
    to_organization: ToOrganizationOpt,
    at: AtOpt = None,
    prefix: Annotated[
        str | None, typer.Option(help="Put before each repository's name (restored-)")
    ] = None,
    overwrite: OverwriteOpt = False,
    dry_run: DryRunOpt = False,
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=16, help="Restores at once (default 2)")
    ] = None,
    wait: WaitOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Restore every repository of an organization as it was at a time (default: now) into
    an organization: each its newest snapshot at or before then."""
    with remote() as api:
        organization_id = resolve.organization(api, organization_id)
        answer = api.restore_organization(
            organization_id,
            to_organization=resolve.organization(api, to_organization),
            at=at,
            name_prefix=prefix,
            overwrite=overwrite,
            dry_run=dry_run,
            concurrency=concurrency,
        )
        for skipped in answer["skipped"]:
            console.print(f"[yellow]{skipped}[/yellow]: no snapshot that old, not restored")
        for item in answer["restores"]:
            console.print(f"{item['id']} -> {item['name']} (snapshot {item['snapshotId']})")
        report(api, answer["taskIds"], as_json, wait)
