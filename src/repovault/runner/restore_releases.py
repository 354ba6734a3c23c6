"""A platform restore's last steps: the releases with their files, and the wiki.

Releases: the target's releases are read once (by tag); each missing one is created for
its tag (name, body with the author line, draft, prerelease), then each of its stored asset
files the target release lacks (by name) is uploaded. A release whose tag is not in the
snapshot is skipped with a warning (the platform would tag its default branch instead),
unless it is a draft (a draft's tag is made when it is published) and the target has drafts
(GitLab has none).

The wiki: the wiki snapshot of that time (engine/archive.py `wiki_snapshot`) is pushed to
the target's wiki git URL when the target has a wiki; otherwise the task log says it was
not carried over, and why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO

from repovault.engine.archive import wiki_snapshot
from repovault.engine.errors import PushFailed
from repovault.engine.git import GitError
from repovault.engine.layout import wiki_prefix
from repovault.engine.manifest import Manifest
from repovault.engine.push import push_heads_and_tags
from repovault.engine.vault import Vault
from repovault.runner.restore_source import Restoring, authored, release_files

Read = Callable[[str], BinaryIO]  # a stored document as an open file, closed by the reader


def release_request(release: dict[str, Any]) -> dict[str, Any]:
    author = {"user": release.get("author"), "created_at": release.get("created_at")}
    line = authored(author, "released")
    body = f"{line}\n\n{release['body']}" if release.get("body") else line
    return {
        "tag_name": release["tag_name"],
        "name": release.get("name") or release["tag_name"],
        "body": body,
        "draft": bool(release.get("draft")),
        "prerelease": bool(release.get("prerelease")),
    }


def restore_releases(restore: Restoring, tags: set[str], read: Read) -> None:
    """Every release of the snapshot, with its files (`restore`: a PlatformRestore)."""
    writer, name, record = restore.writer, restore.name, restore.record
    existing = {item["tag_name"]: item for item in writer.list(name, "releases")}
    ordered = sorted(
        restore.source.releases, key=lambda r: (str(r.get("created_at") or ""), r["id"])
    )
    for release in ordered:
        record.check()
        tag = release["tag_name"]
        target = existing.get(tag)
        if target is None:
            if tag not in tags and not (release.get("draft") and writer.drafts):
                record.log("warning", f"release {tag}: its tag is not in the snapshot: skipped")
                continue
            target = writer.create(name, "releases", release_request(release))
            existing[tag] = target
            restore.made_one("releases")
        restore.created["releases"][str(release["id"])] = target["id"]
        have = {asset["name"] for asset in target.get("assets") or []}
        for file, document in release_files(restore.source, release):
            if file in have:
                continue
            with read(document) as data:
                uploaded = writer.upload_asset(name, target, file, data)
            restore.created["assets"][f"{release['id']}/{file}"] = uploaded.get("id")
            restore.made_one("release files")
        restore.save()


def wiki_of(vault: Vault, manifest: Manifest) -> tuple[Vault, Manifest | None]:
    """The repository's wiki vault, and its snapshot of the time of `manifest` (or None)."""
    wikis = Vault(vault.storage, wiki_prefix(vault.prefix), password=vault.password)
    return wikis, wiki_snapshot(wikis, vault.manifests(), manifest.id)


def skipped_releases(releases: list[dict[str, Any]], tags: set[str], drafts: bool = True) -> int:
    """The releases whose tag is not in the snapshot (a draft's is made when it is published,
    on a platform that has drafts)."""
    return sum(1 for r in releases if r["tag_name"] not in tags and not (r.get("draft") and drafts))


def restore_wiki(restore: Restoring, vault: Vault, manifest: Manifest) -> str | None:
    """The wiki of the snapshot's time pushed to the target's wiki; the wiki snapshot's id,
    or None (the log says why)."""
    wikis, wiki = wiki_of(vault, manifest)
    record = restore.record
    if wiki is None:
        record.log("info", "the snapshot has no wiki: none restored")
        return None
    url = restore.writer.wiki_url(restore.name)
    if url is None:
        record.log(
            "warning",
            f"the wiki (snapshot {wiki.id}) was not carried over: the target repository "
            "has no wiki enabled",
        )
        return None
    try:
        warnings = push_heads_and_tags(wikis, wiki.id, url, restore.writer.git_credentials())
    except (PushFailed, GitError) as exc:
        record.log(
            "warning",
            f"the wiki (snapshot {wiki.id}) was not carried over: {exc} (GitHub makes a "
            "wiki's git repository with its first page: create one, then run the restore "
            "again)",
        )
        return None
    for warning in warnings:
        record.log("warning", f"wiki: {warning}")
    record.log("info", f"wiki restored from its snapshot {wiki.id}")
    restore.created["wiki"] = wiki.id
    return wiki.id
