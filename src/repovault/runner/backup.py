"""The `backup` job: metadata, the repository, its wiki, retention and custom actions."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from repovault.common import enums
from repovault.common.clock import now_ms
from repovault.engine import codecs
from repovault.engine import git as g
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.layout import wiki_vault_prefix
from repovault.engine.manifest import Manifest
from repovault.engine.vault import Compression, Vault
from repovault.organizations.models import Organization, Wiki
from repovault.organizations.service import access_of
from repovault.plans import schedule
from repovault.plans.models import Plan
from repovault.plans.settings import PlanSettings
from repovault.providers.base import Access, Driver, MetadataExporter
from repovault.providers.metadata import LFS, WIKI
from repovault.providers.pages import PageCache
from repovault.providers.registry import driver_for
from repovault.repositories.vaults import Target, load_target, plan_storage
from repovault.runner import actions, transport, unchanged, unchanged_run
from repovault.runner.copy import queue_copy
from repovault.runner.execute import Job, JobFailed
from repovault.runner.prune import apply_retention
from repovault.storages.service import open_backend


def _driver(job: Job, access: Access) -> Driver:
    def paused(seconds: float, reason: str) -> None:
        job.pauses += 1
        job.log("warning", f"rate limited: paused {seconds:.0f} s ({reason})")

    return driver_for(access, job.runtime.http, paused)


def _git_credentials(job: Job, access: Access, driver: Driver) -> g.Credentials | None:
    return transport.git_credentials(job.runtime.settings.data_dir, access, driver.git_credentials)


def _work_dir(job: Job, *parts: str) -> Path:
    return job.runtime.settings.data_dir.joinpath("work", job.task.id, *parts)


def _keep_cache(job: Job, password: str | None) -> bool:
    """The mirror cache is a plain copy: an encrypted plan keeps none when so configured."""
    return password is None or job.runtime.settings.cache_encrypted_plans


def _cache_dir(job: Job, *parts: str) -> Path:
    return job.runtime.settings.data_dir.joinpath("cache", *parts)


def _compression(plan: Plan) -> Compression:
    settings = PlanSettings.of(plan)
    return Compression(codecs.Codec(settings.codec), settings.level)


def _progress(job: Job, stage: str) -> Any:
    def report(what: str, done: int) -> None:
        job.report(job.progress, f"{stage}: {what} {done // (1024 * 1024)} MiB")
        job.scope.check()

    return report


def _export_metadata(
    job: Job, target: Target, driver: Driver, ignore: set[int]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The documents to store beside the bundle, and the items each JSON one holds."""
    if not target.plan.include_metadata or not isinstance(driver, MetadataExporter):
        return {}, {}
    azure = target.access.driver == enums.Driver.AZURE
    name = target.repository.server_id if azure else target.repository.name
    cache = PageCache(_cache_dir(job, "pages", target.repository.id))
    export = driver.export_metadata(name, _work_dir(job, "metadata"), cache, ignore)
    for warning in export.warnings:
        job.log("warning", f"metadata: {warning}")
    job.log(
        "info",
        f"metadata: {len(export.documents)} document(s), {export.requests} request(s), "
        f"{export.not_modified} unchanged page(s)",
    )
    return dict(export.documents), dict(export.counts)


def _count(job: Job, snapshot: Manifest | None, created: bool) -> None:
    """A new snapshot's bytes: stored (compressed, encrypted) and transferred (as fetched)."""
    if created and snapshot is not None:
        job.bytes_stored += snapshot.stored_bytes
        job.bytes_transferred += sum(o.raw_size for o in snapshot.objects)


def run_wiki_backup(job: Job) -> None:
    """An Azure DevOps wiki the plan selected: a git repository of its own."""
    with job.runtime.db.session() as session:
        wiki = session.get(Wiki, job.task.params["wikiId"])
        plan = session.get(Plan, job.task.plan_id) if job.task.plan_id else None
        if wiki is None or plan is None:
            raise JobFailed("the wiki or its plan no longer exists", permanent=True)
        org = session.get(Organization, wiki.organization_id)
        assert org is not None
        storage, password = plan_storage(session, job.runtime, plan)
        access = access_of(job.runtime.box, org)
    vault = Vault(
        open_backend(storage, job.runtime.box),
        wiki_vault_prefix(wiki.id, plan.id),
        password=password,
    )
    result = backup(
        url=wiki.url,
        vault=vault,
        cache=_cache_dir(job, "mirrors", f"wiki-{wiki.id}"),
        credentials=_git_credentials(job, access, _driver(job, access)),
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
    apply_retention(job, plan, vault)


def run_backup(job: Job) -> None:
    if job.task.params.get("wikiId"):
        run_wiki_backup(job)
        return
    target = load_target(job.runtime, job.task.repository_id, job.task.plan_id)
    repo, plan = target.repository, target.plan
    settings = PlanSettings.of(plan)
    ignore = set(settings.ignored)
    custom = settings.custom_actions
    environment = {
        "REPOVAULT_TASK_ID": job.task.id,
        "REPOVAULT_PLAN_ID": plan.id,
        "REPOVAULT_REPOSITORY_ID": repo.id,
        "REPOVAULT_REPOSITORY_NAME": repo.name,
    }
    actions.run(job, "preBackupAction", custom, environment, required=True)
    driver = _driver(job, target.access)
    credentials = _git_credentials(job, target.access, driver)
    job.report(5, "exporting metadata")
    try:
        documents, counts = _export_metadata(job, target, driver, ignore)
        job.report(20, "fetching")
        pulls = unchanged.Pulls(_cache_dir(job, "pages", repo.id), documents)
        reason, signal = unchanged.check(job, target, driver, pulls_changed=pulls.changed)
        times = unchanged.times_of(target.organization.id, since=job.task.created_at)
        if times is not None and unchanged_run.confirm_run(job, target, times):
            job.log("info", "the run's other unchanged repositories were confirmed with it")
        options = BackupOptions(
            kind=job.task.params.get("kind") or "incremental",
            compression=_compression(plan),
            lfs="never" if LFS in ignore else "auto",
            metadata=documents,
            counts=counts,
            keep_cache=_keep_cache(job, target.password),
        )
        if reason is not None:
            _without_git(job, target, credentials, options, reason)
            actions.run(job, "postBackupAction", custom, environment, required=False)
            return
        job.result.update({unchanged.GIT_STARTED: now_ms(), unchanged.SIGNAL: signal})
        vault = target.vault(job.runtime)
        result = backup(
            url=repo.url,
            vault=vault,
            cache=_cache_dir(job, "mirrors", repo.id),
            credentials=credentials,
            options=options,
            progress=_progress(job, "backup"),
        )
        pulls.keep()  # what git has now seen
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
    apply_retention(job, plan, vault)
    if result.created:
        queue_copy(job, plan, repo.id)
    actions.run(job, "postBackupAction", custom, environment, required=False)


def _without_git(
    job: Job,
    target: Target,
    credentials: g.Credentials | None,
    options: BackupOptions,
    reason: str,
) -> None:
    """The platform confirmed the repository unchanged: no git for it (its wiki, which the
    platform's time does not follow, is still backed up), no snapshot, no retention pass."""
    job.log("info", reason)
    job.result.update({unchanged.WITHOUT_GIT: True, "snapshotId": None, "created": False})
    if target.repository.wiki_url and WIKI not in set(PlanSettings.of(target.plan).ignored):
        _backup_wiki(job, target, credentials, options)


def _backup_wiki(
    job: Job, target: Target, credentials: g.Credentials | None, options: BackupOptions
) -> None:
    """A wiki is a second repository; one that was never created is not an error."""
    assert target.repository.wiki_url is not None
    try:
        wiki = backup(
            url=target.repository.wiki_url,
            vault=target.vault(job.runtime, wiki=True),
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


def backup_window_guard(job: Job) -> str | None:
    """Stops a running backup when its plan's backup window closes."""
    window = job.task.params.get("window")
    zone = job.runtime.settings.zone
    if schedule.window_allows(window, datetime.now(UTC), zone):
        return None
    return "the backup window closed"
