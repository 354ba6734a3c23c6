"""Where everything lives in a storage: the one module that builds storage keys.

    repositories/<repository id>/                    all of a repository's backup data
      <plan id>/                                     one vault: one plan's chain of snapshots
        key.json                                     KDF salt and check value (encrypted vaults)
        lock.json                                    who is backing up, until when
        catalog.json                                 the snapshots completed once
        snapshots/<id>/bundle                        git bundle (compressed, then encrypted)
        snapshots/<id>/lfs/<oid>                     LFS objects new in this snapshot
        snapshots/<id>/meta/<name>                   metadata documents (issues, ...)
        snapshots/<id>/manifest.json                 written last: the snapshot exists once it does
        wiki/                                        the repository's wiki, a vault of its own
    wikis/<wiki id>/<plan id>/                       an Azure DevOps wiki a plan selected (a vault)
    repositories/<host>/<path>/                      a vault of the command line (no server)
    exports/<task id>/<name>.tar.gz                  an archive an `export` task made

Removing a repository's (or wiki's) data is deleting its prefix in every storage.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

KEY_FILE = "key.json"
LOCK_FILE = "lock.json"
CATALOG_FILE = "catalog.json"
MANIFEST_FILE = "manifest.json"


def command_line_prefix(url: str) -> str:
    """The vault of a URL backed up with the command line (no server, no ids):
    `repositories/<host>/<path>/`, or `repositories/local/<path>/` for a local folder."""
    parts = urlsplit(url) if "://" in url else urlsplit("ssh://" + url.replace(":", "/", 1))
    host = parts.hostname or "local"
    path = re.sub(r"[^A-Za-z0-9._/-]", "_", parts.path.strip("/").removesuffix(".git"))
    return f"repositories/{host}/{path}/"


def repository_prefix(repository_id: str) -> str:
    return f"repositories/{repository_id}/"


def vault_prefix(repository_id: str, plan_id: str) -> str:
    """The vault of one repository under one plan: plans never share a chain."""
    return f"{repository_prefix(repository_id)}{plan_id}/"


def wiki_prefix(prefix: str) -> str:
    """Where a repository's wiki (a second git repository) is backed up, beside it."""
    return f"{prefix}wiki/"


def wiki_data_prefix(wiki_id: str) -> str:
    """All the data of an Azure DevOps wiki selected by a plan."""
    return f"wikis/{wiki_id}/"


def wiki_vault_prefix(wiki_id: str, plan_id: str) -> str:
    return f"{wiki_data_prefix(wiki_id)}{plan_id}/"


def snapshots_prefix(prefix: str) -> str:
    return f"{prefix}snapshots/"


def snapshot_prefix(prefix: str, snapshot: str) -> str:
    return f"{snapshots_prefix(prefix)}{snapshot}/"


def object_key(prefix: str, snapshot: str, name: str) -> str:
    return f"{snapshot_prefix(prefix, snapshot)}{name}"


def manifest_key(prefix: str, snapshot: str) -> str:
    return object_key(prefix, snapshot, MANIFEST_FILE)


def is_kept_data(prefix: str, key: str) -> bool:
    """What a plan's Object Lock protects in the vault at `prefix`: every snapshot's objects
    and manifest, and the encryption key file (the lock file and the catalog change)."""
    return key.startswith(snapshots_prefix(prefix)) or key == key_file(prefix)


def key_file(prefix: str) -> str:
    return f"{prefix}{KEY_FILE}"


def lock_key(prefix: str) -> str:
    return f"{prefix}{LOCK_FILE}"


def catalog_key(prefix: str) -> str:
    return f"{prefix}{CATALOG_FILE}"


def exports_prefix() -> str:
    """Archives made by `export` tasks: `exports/<task id>/<name>.tar.gz`, outside every
    repository's folder (removing a repository's data leaves what was taken away)."""
    return "exports/"


def export_key(task_id: str, name: str) -> str:
    return f"{exports_prefix()}{task_id}/{name}"
