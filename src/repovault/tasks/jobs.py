"""What each task kind does on the worker: backup, restore, verify, sync, prune.

A repository's snapshots from one plan live in their own vault,
`repositories/<repository id>/<plan id>/` in the plan's storage, so two plans with different
passwords or storages never share a chain (and removing a repository's data is still one
prefix).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.common.context import Services
from repovault.engine import codecs
from repovault.engine import git as g
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.manifest import Manifest, wiki_prefix
from repovault.engine.restore import Choice, choose, restore_to_directory, restore_to_url
from repovault.engine.retention import Option, Policy, prune
from repovault.engine.vault import Compression, Vault
from repovault.engine.verify import CATALOG, verify
from repovault.organizations.models import Organization, Wiki
from repovault.organizations.service import access_of
from repovault.organizations.sync import synchronize
from repovault.plans import schedule
from repovault.plans.models import Plan
from repovault.providers.base import Access, Driver, MetadataExporter
from repovault.providers.metadata import LFS, WIKI, PageCache
from repovault.providers.registry import driver_for
from repovault.repositories.data import prefix as repository_prefix
from repovault.repositories.data import wiki_data_prefix
from repovault.repositories.models import Repository
from repovault.storages.models import Storage
from repovault.storages.service import local_folders, open_backend
from repovault.tasks import actions
from repovault.tasks.models import RepositoryVault
from repovault.tasks.targets import check_directory
from repovault.tasks.worker import Job, JobFailed

log = structlog.get_logger(__name__)
AZURE = 4


def vault_prefix(repository_id: str, plan_id: str) -> str:
    return f"{repository_prefix(repository_id)}{plan_id}/"


@dataclass
class Target:
    """Everything a job needs of one repository under one plan, read in one session."""

    repository: Repository
    organization: Organization
    plan: Plan
    storage: Storage
    access: Access
    password: str | None

    def vault(self, services: Services, *, wiki: bool = False) -> Vault:
        prefix = vault_prefix(self.repository.id, self.plan.id)
        return Vault(
            open_backend(self.storage, services.box),
            wiki_prefix(prefix) if wiki else prefix,
            password=self.password,
        )


def load_target(services: Services, repository_id: str | None, plan_id: str | None) -> Target:
    with services.db.session() as session:
        repo = session.get(Repository, repository_id) if repository_id else None
        plan = session.get(Plan, plan_id) if plan_id else None
        if repo is None:
            raise JobFailed("the repository no longer exists", permanent=True)
        if plan is None:
            raise JobFailed("the plan no longer exists", permanent=True)
        org = session.get(Organization, repo.organization_id)
        assert org is not None
        storage, password = _plan_storage(session, services, plan)
        for row in (repo, plan, org):
            session.expunge(row)
        return Target(repo, org, plan, storage, access_of(services.box, org), password)


def _plan_storage(session: Session, services: Services, plan: Plan) -> tuple[Storage, str | None]:
    """The plan's storage (detached) and its encryption password."""
    storage = session.get(Storage, plan.storage_id)
    assert storage is not None
    session.expunge(storage)
    sealed = plan.encryption_password_sealed
    return storage, services.box.open(sealed) if sealed else None


def _driver(job: Job, access: Access) -> Driver:
    def paused(seconds: float, reason: str) -> None:
        job.pauses += 1
        job.log("warning", f"rate limited: paused {seconds:.0f} s ({reason})")

    return driver_for(access, job.services.http, paused)


def _work_dir(job: Job, *parts: str) -> Path:
    return job.services.settings.data_dir.joinpath("work", job.task.id, *parts)


def _keep_cache(job: Job, password: str | None) -> bool:
    """The mirror cache is a plain copy: an encrypted plan keeps none when so configured."""
    return password is None or job.services.settings.cache_encrypted_plans


def _cache_dir(job: Job, *parts: str) -> Path:
    return job.services.settings.data_dir.joinpath("cache", *parts)


def retention_policy(plan: Plan) -> Policy:
    retention = (plan.settings.get("schedule") or {}).get("retention") or {}
    return Policy(
        rule=retention.get("rule", 1),
        options=tuple(
            Option(number=o["number"], period=o.get("period", 1), type=o.get("type", 0))
            for o in retention.get("options") or []
        ),
    )


def _compression(plan: Plan) -> Compression:
    settings = plan.settings.get("compressionSettings") or {}
    return Compression(codecs.Codec(settings.get("codec", 2)), settings.get("level", 2))


def _progress(job: Job, stage: str) -> Any:
    def report(what: str, done: int) -> None:
        job.report(job.progress, f"{stage}: {what} {done // (1024 * 1024)} MiB")
        job.scope.check()

    return report


def _export_metadata(job: Job, target: Target, driver: Driver, ignore: set[int]) -> dict[str, Any]:
    if not target.plan.include_metadata or not isinstance(driver, MetadataExporter):
        return {}
    name = target.repository.server_id if target.access.driver == AZURE else target.repository.name
    cache = PageCache(_cache_dir(job, "pages", target.repository.id))
    export = driver.export_metadata(name, _work_dir(job, "metadata"), cache, ignore)
    for warning in export.warnings:
        job.log("warning", f"metadata: {warning}")
    job.log(
        "info",
        f"metadata: {len(export.documents)} document(s), {export.requests} request(s), "
        f"{export.not_modified} unchanged page(s)",
    )
    return dict(export.documents)


def _count(job: Job, snapshot: Manifest | None, created: bool) -> None:
    """A new snapshot's bytes: stored (compressed, encrypted) and transferred (as fetched)."""
    if created and snapshot is not None:
        job.bytes_stored += snapshot.stored_bytes
        job.bytes_transferred += sum(o.raw_size for o in snapshot.objects)


def run_wiki_backup(job: Job) -> None:
    """An Azure DevOps wiki the plan selected: a git repository of its own."""
    with job.services.db.session() as session:
        wiki = session.get(Wiki, job.task.params["wikiId"])
        plan = session.get(Plan, job.task.plan_id) if job.task.plan_id else None
        if wiki is None or plan is None:
            raise JobFailed("the wiki or its plan no longer exists", permanent=True)
        org = session.get(Organization, wiki.organization_id)
        assert org is not None
        storage, password = _plan_storage(session, job.services, plan)
        access = access_of(job.services.box, org)
    vault = Vault(
        open_backend(storage, job.services.box),
        f"{wiki_data_prefix(wiki.id)}{plan.id}/",
        password=password,
    )
    result = backup(
        url=wiki.url,
        vault=vault,
        cache=_cache_dir(job, "mirrors", f"wiki-{wiki.id}"),
        credentials=_driver(job, access).git_credentials(),
        options=BackupOptions(
            kind=job.task.params.get("kind") or "incremental",
            compression=_compression(plan),
            keep_cache=_keep_cache(job, password),
        ),
        progress=_progress(job, "wiki"),
    )
    for warning in result.warnings:
        job.log("warning", f"wiki {wiki.name}: {warning}")
    _count(job, result.snapshot, result.created)
    if result.created and result.snapshot is not None:
        job.log("info", f"wiki {wiki.name}: snapshot {result.snapshot.id} written")
    elif result.snapshot is not None:
        job.log("info", f"wiki {wiki.name}: unchanged since snapshot {result.snapshot.id}")
    job.result.update(
        wikiId=wiki.id,
        snapshotId=result.snapshot.id if result.snapshot else None,
        created=result.created,
    )
    _apply_retention(job, plan, vault)


def run_backup(job: Job) -> None:
    if job.task.params.get("wikiId"):
        run_wiki_backup(job)
        return
    target = load_target(job.services, job.task.repository_id, job.task.plan_id)
    repo, plan = target.repository, target.plan
    ignore = set(plan.settings.get("resourceKindsToIgnore") or [])
    custom = plan.settings.get("customActions") or {}
    environment = {
        "REPOVAULT_TASK_ID": job.task.id,
        "REPOVAULT_PLAN_ID": plan.id,
        "REPOVAULT_REPOSITORY_ID": repo.id,
        "REPOVAULT_REPOSITORY_NAME": repo.name,
    }
    actions.run(job, "preBackupAction", custom, environment, required=True)
    driver = _driver(job, target.access)
    credentials = driver.git_credentials()
    job.report(5, "exporting metadata")
    try:
        documents = _export_metadata(job, target, driver, ignore)
        job.report(20, "fetching")
        options = BackupOptions(
            kind=job.task.params.get("kind") or "incremental",
            compression=_compression(plan),
            lfs="never" if LFS in ignore else "auto",
            metadata=documents,
            keep_cache=_keep_cache(job, target.password),
        )
        vault = target.vault(job.services)
        result = backup(
            url=repo.url,
            vault=vault,
            cache=_cache_dir(job, "mirrors", repo.id),
            credentials=credentials,
            options=options,
            progress=_progress(job, "backup"),
        )
    finally:
        shutil.rmtree(_work_dir(job), ignore_errors=True)
    snapshot = result.snapshot
    for warning in result.warnings:
        job.log("warning", warning)
    _count(job, snapshot, result.created)
    if result.created and snapshot is not None:
        job.log(
            "info",
            f"snapshot {snapshot.id} written: {snapshot.kind}, "
            f"{snapshot.content.object_count} object(s), {len(snapshot.content.refs)} ref(s), "
            f"{snapshot.stored_bytes} bytes stored",
        )
        environment["REPOVAULT_SNAPSHOT_ID"] = snapshot.id
        actions.run(job, "postSnapshotAction", custom, environment, required=False)
    elif snapshot is not None:
        job.log("info", f"unchanged since snapshot {snapshot.id}: nothing written")
    job.result.update(
        snapshotId=snapshot.id if snapshot else None,
        created=result.created,
        kind=snapshot.kind if snapshot else None,
    )
    job.report(80, "wiki")
    if repo.wiki_url and WIKI not in ignore:
        _backup_wiki(job, target, credentials, options)
    job.report(90, "retention")
    _apply_retention(job, plan, vault)
    actions.run(job, "postBackupAction", custom, environment, required=False)


def _backup_wiki(
    job: Job, target: Target, credentials: g.Credentials | None, options: BackupOptions
) -> None:
    """A wiki is a second repository; one that was never created is not an error."""
    assert target.repository.wiki_url is not None
    try:
        wiki = backup(
            url=target.repository.wiki_url,
            vault=target.vault(job.services, wiki=True),
            cache=_cache_dir(job, "mirrors", f"{target.repository.id}.wiki"),
            credentials=credentials,
            options=BackupOptions(
                kind=options.kind, compression=options.compression, keep_cache=options.keep_cache
            ),
        )
    except g.Cancelled:
        raise
    except g.GitError as exc:
        job.log("info", f"wiki not backed up (it may have no pages yet): {exc}")
        return
    for warning in wiki.warnings:
        job.log("warning", f"wiki: {warning}")
    _count(job, wiki.snapshot, wiki.created)
    if wiki.created and wiki.snapshot is not None:
        job.log("info", f"wiki snapshot {wiki.snapshot.id} written")


def _apply_retention(job: Job, plan: Plan, vault: Vault) -> None:
    policy = retention_policy(plan)
    if policy.rule == 1:
        return
    pruned = prune(vault, policy)
    if pruned.deleted:
        job.log("info", f"retention removed {len(pruned.deleted)} snapshot(s)")


def run_prune(job: Job) -> None:
    target = load_target(job.services, job.task.repository_id, job.task.plan_id)
    _apply_retention(job, target.plan, target.vault(job.services))


def backup_window_guard(job: Job) -> str | None:
    """Stops a running backup when its plan's backup window closes."""
    window = job.task.params.get("window")
    zone = job.services.settings.zone
    if schedule.window_allows(window, datetime.now(UTC), zone):
        return None
    return "the backup window closed"


# ---- restore and verify ------------------------------------------------------------------


def snapshot_vaults(services: Services, repository_id: str) -> list[tuple[Plan, Vault]]:
    """The vaults that hold this repository's snapshots: one per plan that backed it up."""
    with services.db.session() as session:
        plans = session.scalars(
            select(Plan)
            .join(RepositoryVault, RepositoryVault.plan_id == Plan.id)
            .where(RepositoryVault.repository_id == repository_id)
        ).all()
        vaults = []
        for plan in plans:
            storage, password = _plan_storage(session, services, plan)
            backend = open_backend(storage, services.box)
            prefix = vault_prefix(repository_id, plan.id)
            vaults.append((plan, Vault(backend, prefix, password=password)))
    return vaults


def find_snapshot(
    services: Services,
    repository_id: str,
    snapshot_id: str | None,
    *,
    allow_earlier: bool = False,
) -> tuple[Vault, Choice]:
    """The vault and the snapshot to restore: the one named, else the newest of all plans'
    vaults (ids are unique and sort by time). A damaged one (its manifest lost) fails,
    naming it, unless `allow_earlier` lets the newest intact earlier one be chosen."""
    manifests: dict[str, Manifest] = {}
    lost: set[str] = set()
    owner: dict[str, Vault] = {}
    for _plan, vault in snapshot_vaults(services, repository_id):
        found = vault.manifests()
        gone = vault.lost(found)
        manifests.update(found)
        lost |= gone
        owner.update(dict.fromkeys([*found, *gone], vault))
    choice = choose(manifests, lost, snapshot_id, allow_earlier=allow_earlier)
    return owner[choice.manifest.id], choice


def run_restore(job: Job) -> None:
    params = job.task.params
    assert job.task.repository_id is not None
    vault, choice = find_snapshot(
        job.services,
        job.task.repository_id,
        params.get("snapshotId"),
        allow_earlier=bool(params.get("allowEarlier")),
    )
    manifest = choice.manifest
    if choice.note:
        job.log("warning", choice.note)
    target = params["target"]
    job.report(10, f"restoring snapshot {manifest.id}")
    if target["kind"] == "directory":
        # Checked again here, on this worker's own settings: the folder may have changed
        # (or the API's settings differ) since the call.
        with job.services.db.session() as session:
            storages = local_folders(session)
        path = check_directory(job.services.settings, target["path"], storages=storages)
        result = restore_to_directory(
            vault, path, snapshot=manifest.id, bare=target.get("bare", True)
        )
    else:
        token = job.services.box.open(target["tokenSealed"]) if target.get("tokenSealed") else None
        credentials = (
            g.Credentials(target.get("username") or "x-access-token", token) if token else None
        )
        result = restore_to_url(vault, target["url"], snapshot=manifest.id, credentials=credentials)
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


def run_verify(job: Job) -> None:
    assert job.task.repository_id is not None
    snapshot_id = job.task.params.get("snapshotId")
    vaults = snapshot_vaults(job.services, job.task.repository_id)
    if not vaults:
        raise JobFailed("the repository has no snapshots to verify", permanent=True)
    checked, problems = 0, 0
    for plan, vault in vaults:
        if snapshot_id is not None and snapshot_id not in vault.manifests():
            continue
        report = verify(vault, snapshot_id)
        checked += len(report.checked)
        for problem in report.problems:
            problems += 1
            what = (
                problem.snapshot if problem.snapshot == CATALOG else f"snapshot {problem.snapshot}"
            )
            job.log("error", f"plan {plan.name}: {what}: {problem.message}")
    if checked == 0 and problems == 0:
        missing = f"no snapshot {snapshot_id}" if snapshot_id else "no snapshot in storage"
        raise JobFailed(missing, permanent=True)
    job.result.update(checked=checked, problems=problems)
    if problems:
        raise JobFailed(f"{problems} problem(s) found in {checked} snapshot(s)", permanent=True)
    job.log("info", f"{checked} snapshot(s) verified: every object present and connected")


def run_sync(job: Job) -> None:
    assert job.task.organization_id is not None
    result = synchronize(job.services, job.task.organization_id)
    for pause in result.pauses:
        job.log("warning", f"rate limited: {pause}")
    job.log(
        "info",
        f"synchronized: {len(result.added)} added, {result.renamed} renamed, "
        f"{result.removed} removed, {result.restored} back",
    )
    job.result.update(added=len(result.added), removed=result.removed)


JOBS = {
    "backup": run_backup,
    "restore": run_restore,
    "verify": run_verify,
    "sync": run_sync,
    "prune": run_prune,
}
GUARDS = {"backup": backup_window_guard}
