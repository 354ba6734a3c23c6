"""Removing backup data for good: everything under a prefix (a repository's or a wiki's
data, `layout.repository_prefix` / `layout.wiki_data_prefix`), each vault under its lock.

The vaults under the prefix are found from their keys (a vault is the folder that holds
`snapshots/`, `key.json`, `catalog.json` or `lock.json`), the deepest first (a repository's
wiki is a vault inside its vault). Each is emptied while this process holds its lock, so a
backup, prune or verify of it never runs meanwhile; one that is running makes the removal
wait (`LockedError`, transient: the task is retried). The lock goes last, with its release.
"""

from __future__ import annotations

from collections.abc import Callable

from repovault.backends.base import Backend
from repovault.engine.layout import CATALOG_FILE, KEY_FILE, LOCK_FILE, lock_key
from repovault.engine.lock import locked

VAULT_FILES = (KEY_FILE, LOCK_FILE, CATALOG_FILE)
SNAPSHOTS = "snapshots/"


def vault_of(key: str) -> str | None:
    """The vault folder a key belongs to (None for a key of no vault)."""
    at = key.rfind("/" + SNAPSHOTS)
    if at >= 0:
        return key[: at + 1]
    folder, _, name = key.rpartition("/")
    return folder + "/" if name in VAULT_FILES and folder else None


def remove_data(
    storage: Backend, prefix: str, *, removed: Callable[[int], None] | None = None
) -> int:
    """Delete every object under `prefix`; returns how many. `removed` is told the count
    as it grows (progress)."""
    keys = [info.key for info in storage.list(prefix)]
    vaults = sorted({v for v in map(vault_of, keys) if v}, key=len, reverse=True)
    count = 0
    for vault in vaults:
        with locked(storage, vault):
            mine = [k for k in keys if k.startswith(vault) and k != lock_key(vault)]
            for key in mine:
                storage.delete(key)
                count += 1
                if removed and count % 100 == 0:
                    removed(count)
        keys = [k for k in keys if not k.startswith(vault)]
    for key in keys:  # objects of no vault (an interrupted removal's leftovers)
        storage.delete(key)
        count += 1
    if removed:
        removed(count)
    return count
