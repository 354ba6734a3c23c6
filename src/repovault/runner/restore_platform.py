"""A restore into an organization (target kind `platform`): a snapshot becomes a repository
on the organization's platform (GitHub or Gitea/Forgejo for now).

    repository created (visibility; description naming where it came from)
    -> branches and tags pushed with the organization's token (engine/push.py)
    -> default branch set -> labels -> milestones -> issues 1..N in number order, each with
       its comments and state; a pull request's number, or a number missing from the
       snapshot, becomes a closed placeholder, so `#123` keeps naming the same issue

Idempotent and resumable: what was created is recorded in the task's `result` (`created`:
source number or name -> target number) as it goes, and the target itself is read first
(labels by name, milestones by title, issues by number, an issue's comments by count), so a
rerun after a crash, a cancel or a rate limit creates nothing twice. A dry run reads the
snapshot and the target and writes nothing: `result.dryRun` counts what would be created and
what cannot map yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from repovault.engine.git import Credentials
from repovault.engine.manifest import Manifest
from repovault.engine.push import push_heads_and_tags, pushed_refs
from repovault.engine.vault import Vault
from repovault.organizations.models import Organization
from repovault.organizations.service import access_of
from repovault.providers.metadata import stream_items
from repovault.providers.writes import PlatformWriter, TargetRepository, writer_for
from repovault.repositories.models import Repository
from repovault.repositories.platform_targets import default_name
from repovault.runner import transport
from repovault.runner.execute import Job, JobFailed
from repovault.runner.restore_source import Source, dry_run, read_source
from repovault.tasks.models import Task


def authored(item: dict[str, Any], verb: str) -> str:
    """The line each restored body starts with: the restoring token is the new author."""
    login = (item.get("user") or {}).get("login") or "unknown"
    return f"_Originally {verb} by @{login} at {item.get('created_at') or 'an unknown time'}_"


def with_author(item: dict[str, Any], verb: str) -> str:
    body = item.get("body") or ""
    return f"{authored(item, verb)}\n\n{body}" if body else authored(item, verb)


def _items(vault: Vault, manifest: Manifest, name: str) -> Iterator[Any]:
    stored = manifest.object(f"meta/{name}")
    if stored is not None:
        yield from stream_items(vault.read_object(manifest, stored))


class PlatformRestore:
    def __init__(self, record: Record, writer: PlatformWriter, name: str, source: Source) -> None:
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
        }
        self.record.result["created"] = self.created
        self.made: dict[str, int] = {}  # created by this run, by kind: the task log's lines

    def save(self) -> None:
        self.record.save()

    def _made(self, kind: str) -> None:
        self.made[kind] = self.made.get(kind, 0) + 1

    def tell(self, *kinds: str) -> None:
        made = ", ".join(f"{self.made.get(kind, 0)} {kind}" for kind in kinds)
        self.record.log("info", f"created {made} (the rest was on the target already)")

    # Labels and milestones -------------------------------------------------------------

    def labels(self) -> dict[str, Any]:
        """Source label name -> the target's reference to it."""
        existing = {item["name"]: item for item in self.writer.list(self.name, "labels")}
        for label in self.source.labels:
            if label["name"] not in existing:
                keys = ("name", "color", "description")
                body = {k: label[k] for k in keys if label.get(k) is not None}
                existing[label["name"]] = self.writer.create(self.name, "labels", body)
                self.created["labels"][label["name"]] = existing[label["name"]].get("id")
                self._made("labels")
        self.save()
        self.tell("labels")
        return {name: self.writer.label_ref(item) for name, item in existing.items()}

    def milestones(self) -> dict[int, Any]:
        """Source milestone number -> the target's reference to it."""
        existing = {item["title"]: item for item in self.writer.list(self.name, "milestones")}
        refs: dict[int, Any] = {}
        for milestone in self.source.milestones:
            title = milestone["title"]
            if title not in existing:
                keys = ("title", "description", "state", "due_on")
                body = {k: milestone[k] for k in keys if milestone.get(k) is not None}
                existing[title] = self.writer.create(self.name, "milestones", body)
                self.created["milestones"][str(milestone["number"])] = existing[title]["number"]
                self._made("milestones")
            refs[milestone["number"]] = self.writer.milestone_ref(existing[title])
        self.save()
        self.tell("milestones")
        return refs

    # Issues --------------------------------------------------------------------------------

    def issue_body(self, number: int, labels: dict[str, Any], milestones: dict[int, Any]) -> Any:
        """What to create for `number`, and whether it ends closed."""
        issue = self.source.issues.get(number)
        if issue is not None:
            body: dict[str, Any] = {"title": issue["title"], "body": with_author(issue, "opened")}
            names = [
                label["name"] for label in issue.get("labels") or [] if label["name"] in labels
            ]
            if names:
                body["labels"] = [labels[name] for name in names]
            milestone = (issue.get("milestone") or {}).get("number")
            if milestone in milestones:
                body["milestone"] = milestones[milestone]
            return body, issue.get("state") == "closed"
        pull = self.source.pulls.get(number)
        if pull is not None:
            head = (pull.get("head") or {}).get("ref")
            base = (pull.get("base") or {}).get("ref")
            text = (
                f"{authored(pull, 'opened')}\n\nPull request #{number} of the original "
                f"repository ({head} into {base}); pull requests are not restored yet.\n\n"
                f"{pull.get('body') or ''}"
            ).rstrip()
            return {"title": f"[pull request] {pull['title']}", "body": text}, True
        text = f"Placeholder: #{number} is not in the snapshot (deleted, or not backed up)."
        return {"title": f"Placeholder for #{number}", "body": text}, True

    def comments(self, source_number: int, target_number: int, *, fresh: bool) -> None:
        wanted = self.source.comments.get(source_number, [])
        if not wanted:
            return
        done = (
            0 if fresh else sum(1 for _ in self.writer.list(self.name, self.thread(target_number)))
        )
        for comment in wanted[done:]:
            created = self.writer.create(
                self.name, self.thread(target_number), {"body": with_author(comment, "posted")}
            )
            self.created["comments"][str(comment["id"])] = created.get("id")
            self._made("comments")

    @staticmethod
    def thread(number: int) -> str:
        return f"issues/{number}/comments"

    def issues(self, labels: dict[str, Any], milestones: dict[int, Any]) -> None:
        existing = {item["number"]: item for item in self.writer.list(self.name, "issues")}
        last = self.source.last_number
        for number in range(1, last + 1):
            self.record.check()
            body, closed = self.issue_body(number, labels, milestones)
            target = existing.get(number)
            fresh = target is None
            if target is None:
                target = self.writer.create(self.name, "issues", body)
                self._made("issues" if number in self.source.issues else "placeholders")
                if target["number"] != number:
                    self.record.log(
                        "warning",
                        f"#{number} became #{target['number']}: the target's numbering differs",
                    )
            self.created["issues"][str(number)] = target["number"]
            if number in self.source.issues:
                self.comments(number, target["number"], fresh=fresh)
            if closed and target.get("state") != "closed":
                self.writer.close_issue(self.name, target["number"])
            if number % 50 == 0 or number == last:
                self.save()
                self.record.report(40 + 60 * number // last, f"issues: {number} of {last}")


@dataclass
class Record:
    """Where a platform restore reports, and keeps what it created: `result` is the task's
    result (its `created` written through `save` as it goes), `previous` the result an
    earlier attempt of the same task left."""

    result: dict[str, Any]
    previous: dict[str, Any]
    log: Callable[[str, str], None]
    report: Callable[[int, str], None]
    check: Callable[[], None]
    save: Callable[[], None]


@dataclass(frozen=True)
class Wanted:
    """The target as the task's params name it, with what the source repository gives."""

    name: str
    description: str
    private: bool
    overwrite: bool = False
    dry_run: bool = False


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
    source = read_source(lambda document: _items(vault, manifest, document))
    if wanted.dry_run:
        refs = pushed_refs(manifest.content.refs)
        record.result["dryRun"] = dry_run(writer, name, source, refs)
        record.log("info", f"dry run into {name}: nothing written")
        return
    created = _target_repository(writer, wanted, record)
    restore = PlatformRestore(record, writer, name, source)
    restore.created["repository"] = name
    restore.save()
    record.report(15, f"pushing branches and tags to {created.full_name}")
    credentials = (git_credentials or writer.git_credentials)()
    for warning in push_heads_and_tags(vault, manifest.id, created.clone_url, credentials):
        record.log("warning", warning)
    head = manifest.content.head
    if head and head.startswith("refs/heads/"):
        writer.set_default_branch(name, head.removeprefix("refs/heads/"))
    record.report(30, "labels and milestones")
    labels = restore.labels()
    milestones = restore.milestones()
    restore.issues(labels, milestones)
    restore.tell("issues", "placeholders", "comments")
    restore.save()
    record.log("info", f"restored into {created.full_name}: {source.summary()}")


def run_platform_restore(job: Job, vault: Vault, manifest: Manifest) -> None:
    target = job.task.params["target"]
    with job.runtime.db.session() as session:
        organization = session.get(Organization, target["organizationId"])
        repository = session.get(Repository, job.task.repository_id)
        if organization is None or repository is None:
            raise JobFailed("the target organization or the repository is gone", permanent=True)
        access = access_of(job.runtime.box, organization)
        wanted = Wanted(
            name=target.get("name") or default_name(repository),
            description=f"Restored by repovault from {repository.name} (snapshot {manifest.id})",
            private=not repository.is_public,
            overwrite=bool(target.get("overwrite")),
            dry_run=bool(target.get("dryRun")),
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
