"""A second copy of a vault on another storage (a plan's `copyStorageId`): the snapshots of
`source` that `target` lacks, copied byte for byte (still compressed, still encrypted: the
copy opens with the same password), oldest first.

    key.json (encrypted vaults), once
    for each snapshot of the source's catalog the target has no manifest of:
        every object under snapshots/<id>/ except the manifest, skipping those the target
        already holds with the same size (a copy interrupted before resumes where it stopped)
        -> the manifest, last: the snapshot exists in the copy once it does
        -> the target's catalog

Streamed (one block at a time), under the target vault's lock (a copy and a restore or
verify of the copy never meet half a snapshot). Retention is applied to the copy on its own,
with the plan's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from repovault.backends.base import Backend
from repovault.engine.layout import MANIFEST_FILE, key_file, manifest_key, snapshot_prefix
from repovault.engine.lock import locked
from repovault.engine.vault import Vault

Progress = Callable[[int, int], None]  # snapshots copied, snapshots to copy


@dataclass
class CopyResult:
    copied: list[str] = field(default_factory=list)
    objects: int = 0
    bytes: int = 0
    already: int = 0  # objects the target held from an interrupted copy


def _copy_object(source: Backend, target: Backend, key: str) -> int:
    with source.get(key) as stream:
        return target.put(key, stream)


def _present(target: Backend, key: str, size: int) -> bool:
    try:
        return target.stat(key).size == size
    except FileNotFoundError:
        return False


def copy_snapshots(source: Vault, target: Vault, progress: Progress | None = None) -> CopyResult:
    """Copy what `target` lacks of `source` (same prefix on both storages)."""
    result = CopyResult()
    with locked(target.storage, target.prefix):
        wanted = sorted(source.catalog() - target.snapshot_ids()[0])
        if not wanted:
            return result
        key = key_file(source.prefix)
        sizes = {info.key: info.size for info in source.storage.list(key)}
        if key in sizes and not _present(target.storage, key, sizes[key]):
            result.bytes += _copy_object(source.storage, target.storage, key)
        for index, snapshot in enumerate(wanted):
            if progress is not None:
                progress(index, len(wanted))
            _copy_snapshot(source, target, snapshot, result)
            target.write_catalog(target.catalog() | {snapshot})
            result.copied.append(snapshot)
    return result


def _copy_snapshot(source: Vault, target: Vault, snapshot: str, result: CopyResult) -> None:
    manifest = manifest_key(source.prefix, snapshot)
    objects = [
        info
        for info in source.storage.list(snapshot_prefix(source.prefix, snapshot))
        if not info.key.endswith("/" + MANIFEST_FILE)
    ]
    for info in objects:
        if _present(target.storage, info.key, info.size):
            result.already += 1
            continue
        result.bytes += _copy_object(source.storage, target.storage, info.key)
        result.objects += 1
    result.bytes += _copy_object(source.storage, target.storage, manifest)
