"""What a snapshot holds, read back: which snapshot to read, its documents and their
counts (the issues, pull requests and releases in them are read by `items.py`). No HTTP here.

    open_snapshot: the repository's vaults (one per plan) -> the snapshot named, else the
      newest -> its manifest (an encrypted plan's opens with the plan's password)
    Opened.items(document): the document's items as they stream out of storage (decoded,
      decrypted, one line at a time: constant memory)

Counting the snapshot list's metadata (`metadata_counts`) reads the counts the backup
recorded in the manifest. A snapshot made before they were recorded has its documents
counted by streaming them once; the counts are remembered for the life of the process (a
snapshot never changes, and the key names the stored bytes' checksum).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.orm import Session

from repovault.backends.base import StorageError
from repovault.common import codes
from repovault.common.errors import Conflict, NotFound
from repovault.engine.errors import EngineError
from repovault.engine.manifest import Manifest, StoredObject, is_snapshot_id
from repovault.engine.vault import Vault
from repovault.organizations.models import Organization
from repovault.providers import documents as docs
from repovault.providers.dialects import dialect_for
from repovault.providers.documents import Dialect
from repovault.providers.metadata import stream_items
from repovault.repositories.schemas import DocumentOut, SnapshotDocuments
from repovault.repositories.service import get_repository
from repovault.repositories.vaults import snapshot_vaults
from repovault.runtime import Runtime

log = structlog.get_logger(__name__)

UNREADABLE = (EngineError, StorageError, ValueError)  # ValueError: a line that is not JSON


@dataclass
class Opened:
    """One snapshot of a repository, ready to read."""

    vault: Vault
    manifest: Manifest
    dialect: Dialect | None

    @property
    def id(self) -> str:
        return self.manifest.id

    def items(self, name: str) -> Iterator[Any]:
        """The items of document `name` (none when the snapshot lacks it)."""
        stored = self.manifest.object(f"meta/{name}")
        if stored is None:
            return
        try:
            yield from stream_items(self.vault.read_object(self.manifest, stored))
        except UNREADABLE as exc:
            raise _unreadable(f"snapshot {self.id}: {name}", exc) from exc


def _unreadable(what: str, exc: Exception) -> Conflict:
    return Conflict(codes.SNAPSHOT_UNREADABLE, f"{what} cannot be read: {exc}")


def _no_snapshot(snapshot_id: str) -> NotFound:
    return NotFound(codes.SNAPSHOT_NOT_FOUND, f"snapshot {snapshot_id} not found")


def _find(runtime: Runtime, repository_id: str, snapshot_id: str | None) -> Opened | None:
    """The snapshot named, else the newest of all the repository's vaults (ids sort by
    time); None when there is none."""
    vaults = [vault for _plan, vault in snapshot_vaults(runtime, repository_id)]
    if snapshot_id is None:
        newest = max(
            ((found, vault) for vault in vaults for found in vault.snapshot_ids()[0]),
            key=lambda pair: pair[0],
            default=None,
        )
        if newest is None:
            raise Conflict(codes.NO_SNAPSHOT, f"repository {repository_id} has no backup yet")
        snapshot_id, vaults = newest[0], [newest[1]]
    for vault in vaults:
        manifest = vault.manifest(snapshot_id)
        if manifest is not None:
            return Opened(vault, manifest, None)
    return None


def open_snapshot(
    runtime: Runtime, session: Session, *, repository_id: str, snapshot_id: str | None
) -> Opened:
    """The snapshot to read: 404 for an unknown repository or snapshot, 409 when the
    repository has none yet or its storage cannot be read."""
    repository = get_repository(session, repository_id)
    if snapshot_id is not None and not is_snapshot_id(snapshot_id):
        raise _no_snapshot(snapshot_id)
    organization = session.get(Organization, repository.organization_id)
    try:
        opened = _find(runtime, repository.id, snapshot_id)
    except UNREADABLE as exc:
        raise _unreadable(f"the snapshots of repository {repository.id}", exc) from exc
    if opened is None:
        raise _no_snapshot(str(snapshot_id))
    if organization is not None:
        opened.dialect = dialect_for(organization.driver, organization.api_url)
    return opened


# Counting --------------------------------------------------------------------------------

_COUNTED: dict[tuple[str, str], int] = {}
_COUNTED_MAX = 10_000
_counted_lock = threading.Lock()


def _count(vault: Vault, manifest: Manifest, name: str, stored: StoredObject) -> int | None:
    """The items of a document, from the manifest, else read once (then remembered)."""
    recorded = manifest.content.counts.get(name)
    if recorded is not None:
        return recorded
    if not docs.holds_items(name):
        return None
    key = (stored.key, stored.sha256)
    if key in _COUNTED:
        return _COUNTED[key]
    try:
        items = stream_items(vault.read_object(manifest, stored))
        count = sum(1 for item in items if not docs.is_gap(item))
    except UNREADABLE as exc:
        log.warning("document not counted", snapshot=manifest.id, document=name, error=str(exc))
        return None
    with _counted_lock:
        if len(_COUNTED) >= _COUNTED_MAX:
            _COUNTED.clear()
        _COUNTED[key] = count
    return count


def stored_documents(manifest: Manifest) -> Iterator[tuple[str, StoredObject]]:
    for stored in manifest.objects:
        if stored.name.startswith("meta/"):
            yield stored.name.removeprefix("meta/"), stored


def metadata_counts(vault: Vault, manifest: Manifest) -> dict[str, int]:
    """The items of each kind of metadata a snapshot holds (`{"issues": 12, ...}`); a
    release's asset files count one each."""
    counts: dict[str, int] = {}
    for name, stored in stored_documents(manifest):
        count = 1 if name.startswith(docs.ASSETS) else _count(vault, manifest, name, stored)
        if count is not None:
            kind = docs.kind_of(name)
            counts[kind] = counts.get(kind, 0) + count
    return counts


def documents(
    runtime: Runtime, session: Session, *, repository_id: str, snapshot_id: str | None
) -> SnapshotDocuments:
    """The documents a snapshot holds: name, kind, items, sizes."""
    opened = open_snapshot(runtime, session, repository_id=repository_id, snapshot_id=snapshot_id)
    listed = [
        DocumentOut(
            name=name,
            kind=docs.kind_of(name),
            items=_count(opened.vault, opened.manifest, name, stored),
            size_bytes=stored.raw_size,
            stored_bytes=stored.size,
        )
        for name, stored in sorted(stored_documents(opened.manifest))
    ]
    return SnapshotDocuments(
        snapshot_id=opened.id, created_at=opened.manifest.created_at, documents=listed
    )
