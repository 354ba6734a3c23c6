"""A GitHub repository with a snapshot holding metadata, written straight into the default
storage as a backup leaves it (the engine's own vault writes, no platform, no git): what the
call table's bodies for the calls that read a snapshot's contents need."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select

from repovault.engine.layout import vault_prefix
from repovault.engine.manifest import Content, Manifest, snapshot_id
from repovault.engine.vault import Compression, Vault
from repovault.repositories.models import Repository
from repovault.storages.models import Storage
from repovault.storages.service import open_backend
from tests.api.world import World, add_org, add_plan, record_backup, unique
from tests.conftest import Api

DOCUMENTS: dict[str, list[Any]] = {
    "issues.json": [
        {"number": 1, "title": "Broken", "state": "open", "user": {"login": "a"}, "labels": []}
    ],
    "pull-requests.json": [
        {"number": 2, "title": "Fix", "state": "open", "user": {"login": "b"}, "labels": []}
    ],
    "releases.json": [{"id": 3, "tag_name": "v1", "name": "One", "draft": False}],
}


def _document(items: list[Any]) -> bytes:
    """As the exporter writes documents: a JSON array, one item per line."""
    return ("[\n" + ",\n".join(json.dumps(i) for i in items) + "\n]\n").encode()


def stored_snapshot(api: Api, world: World) -> dict[str, str]:
    """`{"id": repository id, "snapshotId": ...}`, made once per world."""
    if "stored_repo" not in world.extra:
        runtime = world.runtime
        assert runtime is not None
        org = add_org(api, driver=1, name="acme", token="ghp_test")
        with runtime.db.session(write=True) as session:
            repo = Repository(organization_id=org, server_id=unique("srv"), name="acme/app")
            session.add(repo)
            session.flush()
            repo_id = repo.id
            storage = session.scalars(select(Storage).where(Storage.is_default)).one()
            session.expunge(storage)
        plan = add_plan(api, org, repositoriesIds=[repo_id])
        record_backup(runtime, plan, repo_id)
        vault = Vault(open_backend(storage, runtime.box), vault_prefix(repo_id, plan))
        snapshot = snapshot_id()
        objects = [
            vault.put_object(snapshot, f"meta/{name}", [_document(items)], Compression())
            for name, items in DOCUMENTS.items()
        ]
        content = Content(
            head=None,
            refs={},
            object_count=0,
            metadata=sorted(DOCUMENTS),
            counts={name: len(items) for name, items in DOCUMENTS.items()},
        )
        manifest = Manifest(
            id=snapshot,
            repository="https://github.com/acme/app.git",
            kind="full",
            parent=None,
            created_at=int(time.time() * 1000),
            codec="zstd",
            level=2,
            encrypted=False,
            objects=objects,
            content=content,
        )
        vault.write_manifest(manifest)
        world.extra["stored_repo"], world.extra["stored_snapshot"] = repo_id, snapshot
    return {"id": world.extra["stored_repo"], "snapshotId": world.extra["stored_snapshot"]}
