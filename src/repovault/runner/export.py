"""The `export` job: one repository's snapshot as a self-contained `.tar.gz` in the plan's
storage (`exports/<task id>/<name>.tar.gz`), for the download link of `/git/repositories/
exportlink`.

    choose_snapshot (the one named, else the newest at or before a time, else the newest; an
    encrypted plan's vault opens with the plan's password) -> engine.archive.stage into a
    scratch folder on the worker's disk (bare repository, wiki, documents as JSON, README)
    -> engine.archive.tar_gz streamed into the storage's put -> the scratch folder removed,
    the key, size and SHA-256 in the result. Archives past their lifetime
    (`REPOVAULT_EXPORT_KEEP_HOURS`, 24) are deleted from the storage by the next export or
    backup there.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

from repovault.backends.base import Backend, StorageError
from repovault.common.clock import now_ms
from repovault.engine import archive
from repovault.engine.layout import export_key, exports_prefix, wiki_prefix
from repovault.engine.manifest import Manifest
from repovault.engine.restore import choose
from repovault.engine.streams import Digest, IterReader
from repovault.engine.vault import Vault
from repovault.providers.metadata import stream_items
from repovault.repositories.exports import lifetime_ms
from repovault.repositories.models import Repository
from repovault.repositories.vaults import snapshot_vaults
from repovault.runner.execute import Job, JobFailed


def archive_name(repository: str, snapshot: str) -> str:
    """`<repository>-<snapshot>`, safe as a file name (`acme/app` -> `acme_app-2026...`)."""
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', repository).strip('._') or 'repository'}-{snapshot}"


def _repository_name(job: Job) -> str:
    with job.runtime.db.session() as session:
        repository = session.get(Repository, job.task.repository_id)
        if repository is None:
            raise JobFailed("the repository no longer exists", permanent=True)
        return repository.name


def choose_snapshot(job: Job) -> tuple[Vault, Manifest, str]:
    """The snapshot to export, its vault and the id of its storage: `snapshotId`, else the
    newest taken at or before `at` (unix ms), else the newest; from the plan `fromPlan`
    alone when given (an export of a plan's repositories), else from any plan's vault."""
    assert job.task.repository_id is not None
    params = job.task.params
    snapshot_id, at, only = params.get("snapshotId"), params.get("at"), params.get("fromPlan")
    manifests: dict[str, Manifest] = {}
    lost: set[str] = set()
    owner: dict[str, tuple[Vault, str]] = {}
    for plan, vault in snapshot_vaults(job.runtime, job.task.repository_id):
        if only is not None and plan.id != only:
            continue
        found = vault.manifests()
        gone = vault.lost(found)
        manifests.update(found)
        lost |= gone
        owner.update(dict.fromkeys([*found, *gone], (vault, plan.storage_id)))
    if snapshot_id is None and at is not None:
        before = [m.id for m in manifests.values() if m.created_at <= at]
        if not before:
            raise JobFailed(f"no snapshot was taken at or before {at} (unix ms)", permanent=True)
        snapshot_id = max(before)
    choice = choose(manifests, lost, snapshot_id)
    vault, storage_id = owner[choice.manifest.id]
    return vault, choice.manifest, storage_id


def forget_old_archives(job: Job, storage: Backend) -> int:
    """Delete the archives of exports past their lifetime (`REPOVAULT_EXPORT_KEEP_HOURS`,
    `repositories.exports.lifetime_ms`): no link is made for them any more. Each export does
    it for the storage it writes to, and each backup for its plan's storage (at most every
    `SWEEP_SECONDS` per storage and process)."""
    lifetime = lifetime_ms(job.runtime.settings)
    if lifetime is None:
        return 0
    before = now_ms() - lifetime
    old = [info.key for info in storage.list(exports_prefix()) if info.modified_ms < before]
    for key in old:
        storage.delete(key)
    if old:
        job.log("info", f"{len(old)} expired export archive(s) removed from the storage")
    return len(old)


SWEEP_SECONDS = 900.0
_swept: dict[str, float] = {}  # storage id -> when this process last swept its archives


def sweep_archives(job: Job, storage_id: str, storage: Backend) -> None:
    """`forget_old_archives` after a backup: at most once per `SWEEP_SECONDS` per storage
    (a listing of `exports/` per backup would be one request too many on S3)."""
    now = time.monotonic()
    last = _swept.get(storage_id)
    if last is not None and now - last < SWEEP_SECONDS:
        return
    try:
        forget_old_archives(job, storage)
    except (StorageError, OSError) as exc:  # housekeeping: the backup stands, next one retries
        job.log("info", f"expired export archives not removed yet: {exc}")
        return
    _swept[storage_id] = now


def run_export(job: Job) -> None:
    assert job.task.repository_id is not None
    name = _repository_name(job)
    vault, manifest, storage_id = choose_snapshot(job)
    forget_old_archives(job, vault.storage)
    root = archive_name(name, manifest.id)
    scratch_root = job.runtime.settings.data_dir / "exports"
    scratch_root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=scratch_root))
    try:
        job.report(10, f"rebuilding snapshot {manifest.id}")
        job.log("info", f"exporting snapshot {manifest.id} of {name}")
        wiki = Vault(vault.storage, wiki_prefix(vault.prefix), password=vault.password)
        staged = archive.stage(
            vault,
            vault.manifests(),
            manifest.id,
            folder / "content",
            name=name,
            read_items=stream_items,
            wiki=wiki,
            until=job.task.params.get("at"),
        )
        documents = ", ".join(
            f"{doc} ({items})"
            for doc, items in sorted(staged.documents.items())
            if items is not None
        )
        job.log("info", f"repository rebuilt and checked by git; documents: {documents or 'none'}")
        if staged.wiki is not None:
            job.log("info", f"wiki snapshot {staged.wiki.id} included")
        job.report(60, "writing the archive to storage")
        key = export_key(job.task.id, f"{root}.tar.gz")
        stream = Digest(archive.tar_gz(folder / "content", root))
        vault.storage.put(key, IterReader(stream))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    job.bytes_stored += stream.size
    job.log(
        "info", f"archive {root}.tar.gz written: {stream.size} bytes, sha256 {stream.hexdigest}"
    )
    job.result.update(
        snapshotId=manifest.id,
        storageId=storage_id,
        key=key,
        fileName=f"{root}.tar.gz",
        size=stream.size,
        sha256=stream.hexdigest,
        wikiSnapshotId=staged.wiki.id if staged.wiki else None,
    )
