"""A restore into an organization (target kind `platform`): a snapshot becomes a repository
on the organization's platform (GitHub or Gitea/Forgejo for now).

    repository created (visibility; description naming where it came from)
    -> branches, tags and LFS objects pushed with the organization's token (engine/push.py)
    -> default branch set -> labels -> milestones
    -> numbers 1..N in order (restore_pulls.py): an issue, a pull request (its branches in
       the snapshot) or an issue labelled as one, or a closed placeholder for a number the
       snapshot lacks, so `#123` keeps naming the same item; each with its thread (comments,
       reviews, review comments in time order) and its state (GitHub: closed in batches)
    -> releases with their files -> the wiki (restore_releases.py)

Idempotent and resumable: what was created is recorded in the task's `result` (`created`:
source number, name or id -> the target's) as it goes, and the target itself is read first
(labels by name, milestones by title, issues and pull requests by number, a thread's
comments by count, releases by tag, their files by name), so a rerun after a crash, a
cancel or a rate limit creates nothing twice. A dry run reads the snapshot and the target
and writes nothing: `result.dryRun` counts what would be created and what cannot map.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import update

from repovault.engine.git import Credentials
from repovault.engine.manifest import Manifest
from repovault.engine.push import lfs_objects, push_heads_and_tags, pushed_refs
from repovault.engine.vault import Vault
from repovault.organizations.models import Organization
from repovault.organizations.service import access_of
from repovault.providers.metadata import stream_items
from repovault.providers.writes import PlatformWriter, TargetRepository, holds, writer_for
from repovault.repositories.models import Repository
from repovault.repositories.platform_targets import default_name
from repovault.runner import transport
from repovault.runner.execute import Job, JobFailed
from repovault.runner.restore_azure_source import read_azure_source
from repovault.runner.restore_bitbucket_source import read_bitbucket_source
from repovault.runner.restore_gitlab_source import read_gitlab_source
from repovault.runner.restore_pulls import Numbers
from repovault.runner.restore_releases import (
    restore_releases,
    restore_wiki,
    skipped_releases,
    wiki_of,
)
from repovault.runner.restore_source import Record, Source, dry_run, read_source, thread
from repovault.tasks.models import Task

# The reader of each source driver's documents (GitHub's shapes: read_source)
READERS_BY_DRIVER = {2: read_bitbucket_source, 3: read_gitlab_source, 4: read_azure_source}
POSTED = {"comments": "comments", "reviews": "reviews", "reviewComments": "review comments"}
NUMBERED = ("issues", "pull requests", "pull requests as issues", "placeholders")


def _items(vault: Vault, manifest: Manifest, name: str) -> Iterator[Any]:
    stored = manifest.object(f"meta/{name}")
    if stored is not None:
        yield from stream_items(vault.read_object(manifest, stored))


def _file(vault: Vault, manifest: Manifest, name: str) -> BinaryIO:
    """A stored document (a release's file) in a temporary file, read from its start: memory
    holds a block at a time, whatever its size. The caller closes it (which removes it)."""
    stored = manifest.object(f"meta/{name}")
    assert stored is not None
    out = tempfile.TemporaryFile()  # noqa: SIM115 (returned open: the caller closes it)
    try:
        for block in vault.read_object(manifest, stored):
            out.write(block)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


class PlatformRestore:
    def __init__(
        self,
        record: Record,
        writer: PlatformWriter,
        name: str,
        source: Source,
        branches: set[str] | None = None,
    ) -> None:
        self.numbers = Numbers(self, branches or set())
        self.label_refs: dict[str, Any] = {}
        self.closing: list[dict[str, Any]] = []  # issues to close, by the next save
        self.record = record
        self.writer = writer
        self.name = name
        self.source = source
        previous = record.previous.get("created") or {}
        self.created: dict[str, Any] = {
            "repository": previous.get("repository"),
            "labels": dict(previous.get("labels") or {}),
            "milestones": dict(previous.get("milestones") or {}),
            "issues": dict(previous.get("issues") or {}),
            "comments": dict(previous.get("comments") or {}),
            "releases": dict(previous.get("releases") or {}),
            "assets": dict(previous.get("assets") or {}),
        }
        self.record.result["created"] = self.created
        self.made: dict[str, int] = {}  # created by this run, by kind: the task log's lines

    def save(self) -> None:
        self.record.save()

    def made_one(self, kind: str) -> None:
        self.made[kind] = self.made.get(kind, 0) + 1

    def tell(self, *kinds: str) -> None:
        made = ", ".join(f"{self.made.get(kind, 0)} {kind}" for kind in kinds)
        self.record.log("info", f"created {made} (the rest was on the target already)")

    # Labels and milestones -------------------------------------------------------------

    def labels(self) -> dict[str, Any]:
        """Source label name -> the target's reference to it (a platform without labels:
        their names, which its writer reads as it can: Bitbucket's issue kinds)."""
        if not holds(self.writer, "labels"):
            self.label_refs = {label["name"]: label["name"] for label in self.source.labels}
            return self.label_refs
        existing = {item["name"]: item for item in self.writer.list(self.name, "labels")}
        for label in self.source.labels:
            if label["name"] not in existing:
                keys = ("name", "color", "description")
                body = {k: label[k] for k in keys if label.get(k) is not None}
                existing[label["name"]] = self.writer.create(self.name, "labels", body)
                self.created["labels"][label["name"]] = existing[label["name"]].get("id")
                self.made_one("labels")
        self.save()
        self.tell("labels")
        self.label_refs = {name: self.writer.label_ref(item) for name, item in existing.items()}
        return self.label_refs

    def label_ref(self, name: str) -> Any:
        """A label the restore adds of its own (`restored pull request`), made when needed."""
        if name not in self.label_refs and not holds(self.writer, "labels"):
            self.label_refs[name] = name
        if name not in self.label_refs:
            body = {"name": name, "color": "ededed", "description": "Restored by repovault"}
            made = self.writer.create(self.name, "labels", body)
            self.created["labels"][name] = made.get("id")
            self.label_refs[name] = self.writer.label_ref(made)
            self.record.log("info", f"created the label {name!r}")
        return self.label_refs[name]

    def milestones(self) -> dict[int, Any]:
        """Source milestone number -> the target's reference to it."""
        if not holds(self.writer, "milestones"):
            return {}
        existing = {item["title"]: item for item in self.writer.list(self.name, "milestones")}
        refs: dict[int, Any] = {}
        for milestone in self.source.milestones:
            title = milestone["title"]
            if title not in existing:
                keys = ("title", "description", "state", "due_on")
                body = {k: milestone[k] for k in keys if milestone.get(k) is not None}
                existing[title] = self.writer.create(self.name, "milestones", body)
                self.created["milestones"][str(milestone["number"])] = existing[title]["number"]
                self.made_one("milestones")
            refs[milestone["number"]] = self.writer.milestone_ref(existing[title])
        self.save()
        self.tell("milestones")
        return refs

    # Issues --------------------------------------------------------------------------------

    def close_pending(self) -> None:
        """Close the issues made open that end closed (GitHub: batched)."""
        if self.closing:
            self.writer.close_issues(self.name, self.closing)
            self.closing = []

    def comments(self, source_number: int, target_number: int, *, fresh: bool) -> None:
        """The number's thread (comments, reviews, review comments in time order), each a
        comment; on a rerun the target's comments are counted, and that many skipped (unless
        the task's record has them all: then the thread is not read)."""
        wanted = thread(self.source, source_number)
        if not wanted or all(post.key in self.created["comments"] for post in wanted):
            return  # nothing, or all of it made by this task already (its record says so)
        path = f"issues/{target_number}/comments"
        done = 0 if fresh else sum(1 for _ in self.writer.list(self.name, path))
        for post in wanted[done:]:
            created = self.writer.create(self.name, path, {"body": post.body})
            self.created["comments"][post.key] = created.get("id")
            self.made_one(POSTED[post.kind])

    def issues(self, labels: dict[str, Any], milestones: dict[int, Any]) -> None:
        """Numbers 1..N: issues, pull requests and placeholders, each with its thread."""
        existing = {item["number"]: item for item in self.writer.numbered(self.name)}
        last = self.source.last_number
        for number in range(1, last + 1):
            self.record.check()
            target = existing.get(number)
            fresh = target is None
            if target is None:
                target = self.numbers.create(number, labels, milestones)
                if target["number"] != number:
                    self.record.log(
                        "warning",
                        f"#{number} became #{target['number']}: the target's numbering differs",
                    )
            self.created["issues"][str(number)] = target["number"]
            self.comments(number, target["number"], fresh=fresh)
            if self.numbers.ends_closed(number) and target.get("state") != "closed":
                if target.get("pull_request"):
                    self.writer.close_issue(self.name, target["number"], pull=True)
                else:
                    reason = (self.source.issues.get(number) or {}).get("state_reason")
                    self.closing.append({**target, "state_reason": reason})
            if number % 50 == 0 or number == last:
                self.close_pending()
                self.save()
                self.record.report(40 + 40 * number // last, f"issues: {number} of {last}")


@dataclass(frozen=True)
class Wanted:
    """The target as the task's params name it, with what the source repository gives."""

    name: str
    description: str
    private: bool
    overwrite: bool = False
    dry_run: bool = False
    source_driver: int = 1  # the platform the snapshot was backed up from (its documents)


def _target_repository(writer: PlatformWriter, wanted: Wanted, record: Record) -> TargetRepository:
    existing = writer.repository(wanted.name)
    ours = (record.previous.get("created") or {}).get("repository") == wanted.name
    if existing is not None and not existing.empty and not ours and not wanted.overwrite:
        raise JobFailed(
            f"{existing.full_name} exists and is not empty: restore under another name, "
            "or ask to overwrite",
            permanent=True,
        )
    if existing is not None:
        return existing
    return writer.create_repository(
        wanted.name, description=wanted.description, private=wanted.private
    )


def _dry_run(
    writer: PlatformWriter, vault: Vault, manifest: Manifest, name: str, source: Source
) -> dict[str, Any]:
    """What a restore would create, and what it could not carry over (`cannotMap`)."""
    refs = pushed_refs(manifest.content.refs)
    counts = dry_run(writer, name, source, refs)
    _, wiki = wiki_of(vault, manifest)
    counts["wiki"] = wiki is not None
    counts["lfsObjects"] = lfs_objects(vault.manifests(), manifest.id)
    cannot: dict[str, int] = {}
    tags = {ref.removeprefix("refs/tags/") for ref in refs if ref.startswith("refs/tags/")}
    for kind in ("labels", "milestones", "releases"):
        kept = holds(writer, kind) or (kind == "labels" and holds(writer, "tags"))
        if not kept and (count := len(getattr(source, kind))):
            cannot[kind] = count  # the platform has none it can make
    releases = holds(writer, "releases")
    if releases and (skipped := skipped_releases(source.releases, tags, writer.drafts)):
        cannot["releases"] = skipped  # their tags are not in the snapshot
    if wiki is not None and counts["repository"] == "exists" and writer.wiki_url(name) is None:
        cannot["wiki"] = 1  # the target repository has no wiki enabled
    counts["cannotMap"] = cannot
    return counts


def restore_into(
    writer: PlatformWriter,
    vault: Vault,
    manifest: Manifest,
    wanted: Wanted,
    record: Record,
    git_credentials: Callable[[], Credentials | None] | None = None,
) -> None:
    """The snapshot into the platform `writer` writes to (the order: module docstring);
    its git push with `git_credentials` (by default the writer's own)."""
    name = wanted.name
    documents = [
        o.name.removeprefix("meta/") for o in manifest.objects if o.name.startswith("meta/")
    ]
    reader = READERS_BY_DRIVER.get(wanted.source_driver, read_source)
    source = reader(lambda document: _items(vault, manifest, document), documents)
    refs = pushed_refs(manifest.content.refs)
    if wanted.dry_run:
        record.result["dryRun"] = _dry_run(writer, vault, manifest, name, source)
        record.log("info", f"dry run into {name}: nothing written")
        return
    created = _target_repository(writer, wanted, record)
    branches = {ref.removeprefix("refs/heads/") for ref in refs if ref.startswith("refs/heads/")}
    restore = PlatformRestore(record, writer, name, source, branches)
    restore.created["repository"] = name
    restore.save()
    record.report(15, f"pushing branches and tags to {created.full_name}")
    credentials = (git_credentials or writer.git_credentials)()
    warnings = push_heads_and_tags(vault, manifest.id, created.clone_url, credentials)
    for warning in warnings:
        record.log("warning", warning)
    lfs = lfs_objects(vault.manifests(), manifest.id)
    if lfs and not any("LFS" in warning for warning in warnings):
        record.log("info", f"{lfs} LFS object(s) pushed")
    head = manifest.content.head
    if head and head.startswith("refs/heads/"):
        writer.set_default_branch(name, head.removeprefix("refs/heads/"))
    record.report(30, "labels and milestones")
    labels = restore.labels()
    milestones = restore.milestones()
    restore.issues(labels, milestones)
    restore.tell(*NUMBERED, *POSTED.values())
    record.report(80, "releases and their files")
    tags = {ref.removeprefix("refs/tags/") for ref in refs if ref.startswith("refs/tags/")}
    if holds(writer, "releases"):  # (Bitbucket has none: the dry run counts them in cannotMap)
        restore_releases(restore, tags, lambda document: _file(vault, manifest, document))
    restore.tell("releases", "release files")
    record.report(95, "the wiki")
    restore_wiki(restore, vault, manifest)
    restore.save()
    record.log("info", f"restored into {created.full_name}: {source.summary()}")


def run_platform_restore(job: Job, vault: Vault, manifest: Manifest) -> None:
    target = job.task.params["target"]
    with job.runtime.db.session() as session:
        organization = session.get(Organization, target["organizationId"])
        repository = session.get(Repository, job.task.repository_id)
        if organization is None or repository is None:
            raise JobFailed("the target organization or the repository is gone", permanent=True)
        origin = session.get(Organization, repository.organization_id)
        access = access_of(job.runtime.box, organization)
        wanted = Wanted(
            name=target.get("name") or default_name(repository),
            description=f"Restored by repovault from {repository.name} (snapshot {manifest.id})",
            private=not repository.is_public,
            overwrite=bool(target.get("overwrite")),
            dry_run=bool(target.get("dryRun")),
            source_driver=origin.driver if origin is not None else 1,
        )

    def paused(seconds: float, reason: str) -> None:
        job.pauses += 1
        job.log("warning", f"rate limited: paused {seconds:.0f} s ({reason})")

    def save() -> None:
        """What exists so far, in the task row: a rerun of this task reads it."""
        with job.runtime.db.session(write=True) as session:
            session.execute(update(Task).where(Task.id == job.task.id).values(result=job.result))

    record = Record(
        result=job.result,
        previous=dict(job.task.result or {}),
        log=job.log,
        report=job.report,
        check=job.scope.check,
        save=save,
    )
    writer = writer_for(access, job.runtime.http, paused)
    data_dir = job.runtime.settings.data_dir

    def credentials() -> Credentials | None:  # the organization's SSH key, when it has one
        return transport.git_credentials(data_dir, access, writer.git_credentials)

    restore_into(writer, vault, manifest, wanted, record, credentials)
