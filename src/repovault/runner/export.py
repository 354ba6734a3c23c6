"""The `export` job: one repository's snapshot as a self-contained `.tar.gz` in the plan's
storage (`exports/<task id>/<name>.tar.gz`), for the download link of `/git/repositories/
exportlink`.

    find_snapshot (the one named, else the newest; an encrypted plan's vault opens with the
    plan's password) -> engine.archive.stage into a scratch folder on the worker's disk
    (bare repository, wiki, documents as JSON, README) -> engine.archive.tar_gz streamed into
    the storage's put -> the scratch folder removed, the key, size and SHA-256 in the result
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from repovault.engine import archive
from repovault.engine.layout import export_key, wiki_prefix
from repovault.engine.streams import Digest, IterReader
from repovault.engine.vault import Vault
from repovault.providers.metadata import stream_items
from repovault.repositories.models import Repository
from repovault.repositories.vaults import find_snapshot, snapshot_vaults
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


def _storage_of(job: Job, vault: Vault) -> str:
    """The storage holding `vault` (the archive is written beside the snapshots)."""
    assert job.task.repository_id is not None
    for plan, candidate in snapshot_vaults(job.runtime, job.task.repository_id):
        if candidate.prefix == vault.prefix:
            return plan.storage_id
    raise JobFailed("the plan of the snapshot no longer exists", permanent=True)


def run_export(job: Job) -> None:
    assert job.task.repository_id is not None
    name = _repository_name(job)
    vault, choice = find_snapshot(
        job.runtime, job.task.repository_id, job.task.params.get("snapshotId")
    )
    manifest = choice.manifest
    storage_id = _storage_of(job, vault)
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
