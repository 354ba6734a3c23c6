"""The `restore` job: a snapshot into a folder below a restore root, pushed to a URL, or into
an organization on a platform (runner/restore_platform.py)."""

from __future__ import annotations

from collections.abc import Callable

from repovault.engine import git as g
from repovault.engine.errors import DamagedSnapshot
from repovault.engine.restore import RestoreResult, restore_to_directory, restore_to_url
from repovault.engine.vault import Vault
from repovault.repositories.targets import check_directory
from repovault.repositories.vaults import copy_vaults, find_snapshot
from repovault.runner.execute import Job
from repovault.runner.restore_platform import run_platform_restore
from repovault.storages.service import local_folders


def _from_either(
    job: Job, vault: Vault, snapshot: str, restore: Callable[[Vault], RestoreResult]
) -> RestoreResult:
    """`restore` from `vault`; when the snapshot is damaged there (an object missing or
    altered), from the plan's second copy that holds it intact, saying so."""
    try:
        return restore(vault)
    except DamagedSnapshot as damage:
        assert job.task.repository_id is not None
        for _plan, copy in copy_vaults(job.runtime, job.task.repository_id):
            if copy.prefix != vault.prefix or copy.manifest(snapshot) is None:
                continue
            job.log(
                "warning",
                f"snapshot {snapshot} is damaged on its storage ({damage}): "
                "restoring it from the plan's second copy",
            )
            return restore(copy)
        raise


def run_restore(job: Job) -> None:
    params = job.task.params
    assert job.task.repository_id is not None
    vault, choice = find_snapshot(
        job.runtime,
        job.task.repository_id,
        params.get("snapshotId"),
        allow_earlier=bool(params.get("allowEarlier")),
    )
    manifest = choice.manifest
    if choice.note:
        job.log("warning", choice.note)
    target = params["target"]
    job.report(10, f"restoring snapshot {manifest.id}")
    if target["kind"] == "platform":
        run_platform_restore(job, vault, manifest)
        job.result.update(snapshotId=manifest.id, passedOver=list(choice.passed_over))
        return
    if target["kind"] == "directory":
        # Checked again here, on this worker's own settings: the folder may have changed
        # (or the API's settings differ) since the call.
        with job.runtime.db.session() as session:
            storages = local_folders(session)
        path = check_directory(job.runtime.settings, target["path"], storages=storages)
        result = _from_either(
            job,
            vault,
            manifest.id,
            lambda v: restore_to_directory(
                v, path, snapshot=manifest.id, bare=target.get("bare", True)
            ),
        )
    else:
        token = job.runtime.box.open(target["tokenSealed"]) if target.get("tokenSealed") else None
        credentials = (
            g.Credentials(target.get("username") or "x-access-token", token) if token else None
        )
        result = _from_either(
            job,
            vault,
            manifest.id,
            lambda v: restore_to_url(
                v, target["url"], snapshot=manifest.id, credentials=credentials
            ),
        )
    for warning in result.warnings:
        job.log("warning", warning)
    job.log(
        "info",
        f"snapshot {manifest.id} restored to {result.target}: "
        f"{len(manifest.content.refs)} ref(s), checked by git",
    )
    job.result.update(
        snapshotId=manifest.id, target=result.target, passedOver=list(choice.passed_over)
    )
