"""The `orgexport` job: every repository of an organization (or of a plan) as it was at a
point in time, as ONE `.tar.gz` in a storage (`exports/<task id>/<name>.tar.gz`), for the
download link of `/git/repositories/exportlink` (queued by `repositories/org_exports.py`).

    choose: for each repository (by name), the newest snapshot taken at or before `at` in
      its plans' vaults (the plan's alone for a plan's export); none by then, or the newest
      by then damaged (its manifest lost, a warning): skipped, with why, since an earlier
      snapshot would not be the repository as it was at `at`; damage found while staging
      fails the task, naming the repository
    stream: engine.archive.tar_gz_parts pulls, one after the other, README.md (what is
      where, the point in time), one folder per repository (engine.archive.stage into the
      worker's scratch folder, streamed into the tar, deleted before the next is staged),
      then index.json; the stream goes straight into the storage's put

Memory stays constant whatever the repositories' size (one block in flight, git in child
processes); the worker's disk holds one repository's staged folder at a time. An encrypted
plan's snapshots are decrypted with that plan's key, as each vault opens with it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from repovault.common.clock import now_ms
from repovault.engine import archive
from repovault.engine.errors import MissingManifest
from repovault.engine.layout import export_key, wiki_prefix
from repovault.engine.manifest import Manifest
from repovault.engine.restore import choose
from repovault.engine.streams import Digest, IterReader
from repovault.engine.vault import Vault
from repovault.providers.metadata import stream_items
from repovault.repositories.models import Repository
from repovault.repositories.vaults import snapshot_vaults
from repovault.runner.execute import Job, JobFailed
from repovault.runner.export import forget_old_archives
from repovault.runner.export_org_text import archive_root, readme
from repovault.storages.models import Storage
from repovault.storages.service import open_backend
from repovault.tasks.models import RepositoryVault


@dataclass
class Chosen:
    """A repository and the snapshot of it that goes into the archive."""

    id: str
    name: str
    folder: str
    plan_id: str
    snapshot_id: str
    taken_at: int


@dataclass
class Selection:
    chosen: list[Chosen] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # {id, name, reason}


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _id_time(snapshot_id: str) -> int:
    """When a snapshot was taken, from its id alone (a lost manifest leaves only the id)."""
    moment = datetime.strptime(snapshot_id[:22], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _repositories(job: Job) -> list[tuple[str, str]]:
    """(id, full name) of the repositories to export, by name."""
    only = job.task.params.get("fromPlan")
    with job.runtime.db.session() as session:
        query = select(Repository.id, Repository.name).order_by(Repository.name, Repository.id)
        if only is not None:
            query = query.join(
                RepositoryVault, RepositoryVault.repository_id == Repository.id
            ).where(RepositoryVault.plan_id == only)
        else:
            query = query.where(Repository.organization_id == job.task.organization_id)
        return [(row.id, row.name) for row in session.execute(query)]


def _vaults(job: Job, repository_id: str) -> list[tuple[str, Vault]]:
    """(plan id, vault) of each plan that holds the repository's snapshots (the plan's
    alone for a plan's export)."""
    only = job.task.params.get("fromPlan")
    return [
        (plan.id, vault)
        for plan, vault in snapshot_vaults(job.runtime, repository_id)
        if only is None or plan.id == only
    ]


def _newest_by(job: Job, repository_id: str, at: int) -> tuple[str, Manifest] | str:
    """(plan id, manifest) of the newest snapshot taken at or before `at`, or why none."""
    manifests: dict[str, Manifest] = {}
    lost: set[str] = set()
    owner: dict[str, str] = {}
    first: int | None = None
    for plan_id, vault in _vaults(job, repository_id):
        found = vault.manifests()
        gone = vault.lost(found)
        manifests.update({k: m for k, m in found.items() if m.created_at <= at})
        lost |= {k for k in gone if _id_time(k) <= at}
        owner.update(dict.fromkeys([*found, *gone], plan_id))
        times = [m.created_at for m in found.values()] + ([first] if first is not None else [])
        first = min(times, default=None)
    if not manifests and not lost:
        if first is None:
            return "no backup"
        return f"no snapshot taken at or before {iso(at)} (the first was taken {iso(first)})"
    try:
        choice = choose(manifests, lost)  # the newest by then, if intact
    except MissingManifest as exc:
        return f"damaged: {exc}"
    return owner[choice.manifest.id], choice.manifest


def select_snapshots(job: Job, at: int) -> Selection:
    selection = Selection()
    taken = set(archive.TOP_NAMES)
    for repository_id, name in _repositories(job):
        found = _newest_by(job, repository_id, at)
        if isinstance(found, str):
            selection.skipped.append({"id": repository_id, "name": name, "reason": found})
            # Damage is a warning; no snapshot by then is what the point in time means.
            level = "warning" if found.startswith("damaged") else "info"
            job.log(level, f"{name}: skipped, {found}")
            continue
        plan_id, manifest = found
        folder = archive.folder_name(name, taken)
        selection.chosen.append(
            Chosen(repository_id, name, folder, plan_id, manifest.id, manifest.created_at)
        )
    return selection


def _vault_of(job: Job, chosen: Chosen) -> Vault:
    for plan_id, vault in _vaults(job, chosen.id):
        if plan_id == chosen.plan_id:
            return vault
    raise JobFailed(f"{chosen.name}: the plan {chosen.plan_id} no longer holds it", permanent=True)


def _staged_entry(chosen: Chosen, staged: archive.Staged) -> dict[str, Any]:
    return {
        "id": chosen.id,
        "name": chosen.name,
        "folder": chosen.folder,
        "planId": chosen.plan_id,
        "snapshotId": chosen.snapshot_id,
        "takenAt": iso(chosen.taken_at),
        "takenAtMs": chosen.taken_at,
        "wikiSnapshotId": staged.wiki.id if staged.wiki else None,
        "documents": {k: v for k, v in sorted(staged.documents.items()) if v is not None},
    }


def _parts(job: Job, selection: Selection, at: int, scratch: Path) -> Iterator[archive.Part]:
    """README.md, each repository's folder (staged when pulled, deleted once streamed),
    index.json."""
    params = job.task.params
    text = readme(
        name=params["name"],
        scope=params["scope"],
        at=iso(at),
        repositories=[(c.folder, c.name, c.snapshot_id, iso(c.taken_at)) for c in selection.chosen],
        skipped=[(s["name"], s["reason"]) for s in selection.skipped],
    )
    yield "README.md", text.encode()
    entries = []
    total = len(selection.chosen)
    for number, chosen in enumerate(selection.chosen, 1):
        job.report(5 + 90 * (number - 1) // total, f"{number}/{total}: {chosen.name}")
        vault = _vault_of(job, chosen)
        folder = scratch / "repository"
        staged = archive.stage(
            vault,
            vault.manifests(),
            chosen.snapshot_id,
            folder,
            name=chosen.name,
            read_items=stream_items,
            wiki=Vault(vault.storage, wiki_prefix(vault.prefix), password=vault.password),
            until=at,
        )
        entries.append(_staged_entry(chosen, staged))
        job.log(
            "info",
            f"{number}/{total} {chosen.name}: snapshot {chosen.snapshot_id} "
            f"({iso(chosen.taken_at)}) into {chosen.folder}/",
        )
        yield chosen.folder, folder
        shutil.rmtree(folder)
    index = {
        "organization": params["name"],
        "organizationId": job.task.organization_id,
        "scope": params["scope"],
        "at": iso(at),
        "atMs": at,
        "exportedAt": iso(now_ms()),
        "repositories": entries,
        "skipped": selection.skipped,
    }
    yield "index.json", (json.dumps(index, indent=2, ensure_ascii=False) + "\n").encode()


def _storage(job: Job) -> Storage:
    with job.runtime.db.session() as session:
        storage = session.get(Storage, job.task.params["storageId"])
        if storage is None:
            raise JobFailed("the storage of the archive no longer exists", permanent=True)
        session.expunge(storage)
        return storage


def run_org_export(job: Job) -> None:
    params = job.task.params
    at: int = params["at"]
    selection = select_snapshots(job, at)
    if not selection.chosen:
        raise JobFailed(
            f"no repository has a snapshot taken at or before {iso(at)}", permanent=True
        )
    storage = open_backend(_storage(job), job.runtime.box)
    forget_old_archives(job, storage)
    root = archive_root(params["name"], at)
    key = export_key(job.task.id, f"{root}.tar.gz")
    scratch_root = job.runtime.settings.data_dir / "exports"
    scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="orgexport-", dir=scratch_root))
    job.log("info", f"exporting {len(selection.chosen)} repositories as they were at {iso(at)}")
    try:
        stream = Digest(archive.tar_gz_parts(root, _parts(job, selection, at, scratch)))
        storage.put(key, IterReader(stream))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    job.bytes_stored += stream.size
    job.log("info", f"archive {root}.tar.gz: {stream.size} bytes, sha256 {stream.hexdigest}")
    job.result.update(
        storageId=params["storageId"],
        key=key,
        fileName=f"{root}.tar.gz",
        size=stream.size,
        sha256=stream.hexdigest,
        at=at,
        repositories=len(selection.chosen),
        skipped=len(selection.skipped),
    )
