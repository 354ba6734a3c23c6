"""Backups no one can delete before their time: a plan's snapshots written under S3 Object
Lock on a real server that implements it (moto's server mode), a delete of a locked version
refused by the server itself, retention that never tries early and says so, and a plan
refused when its bucket cannot lock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from repovault.backends.retained import RetainedBackend, Retention, retained_until
from repovault.backends.s3 import S3Backend
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.layout import is_kept_data, manifest_key
from repovault.engine.retention import KEEP_NEWEST, Option, Policy, prune
from repovault.engine.vault import Vault
from tests.conftest import Api
from tests.e2e.flow import make_sources, organization_with_plan, wait_tasks
from tests.engine.repos import commit, tricky_repository

moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")

PREFIX = "repositories/r/p/"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _bucket(endpoint: str, name: str, *, lock: bool) -> S3Backend:
    backend = S3Backend(
        bucket=name, endpoint_url=endpoint, access_key_id="k", secret_access_key="s"
    )
    backend.client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock)
    return backend


def _vault(endpoint: str, name: str, days: int = 1) -> tuple[S3Backend, Vault]:
    s3 = _bucket(endpoint, name, lock=True)
    locking = RetainedBackend(
        s3, Retention(days, "COMPLIANCE"), lambda key: is_kept_data(PREFIX, key)
    )
    return s3, Vault(locking, PREFIX)


def _backups(vault: Vault, tmp_path: Path, count: int) -> list[str]:
    source = tricky_repository(tmp_path / "source")
    ids = []
    for i in range(count):
        commit(source, f"change {i}", {f"f{i}.bin": os.urandom(10_000)})
        result = backup(
            url=f"file://{source}",
            vault=vault,
            cache=tmp_path / "cache",
            options=BackupOptions(kind="full"),
        )
        assert result.snapshot is not None
        ids.append(result.snapshot.id)
    return ids


def _versions(s3: S3Backend, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = s3.client.list_object_versions(Bucket=s3.bucket, Prefix=key).get(
        "Versions", []
    )
    return found


def test_snapshots_are_locked_and_the_server_refuses_their_deletion(
    endpoint: str, tmp_path: Path
) -> None:
    s3, vault = _vault(endpoint, "locked-one")
    (snapshot,) = _backups(vault, tmp_path, 1)
    manifest = manifest_key(PREFIX, snapshot)
    until = retained_until(vault.storage, manifest)
    assert until is not None
    assert timedelta(hours=23) < until - datetime.now(UTC) <= timedelta(days=1)
    head = s3.client.head_object(Bucket=s3.bucket, Key=manifest)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    # The vault's lock file and catalog change: they are not locked.
    assert retained_until(vault.storage, f"{PREFIX}catalog.json") is None
    # Someone holding repovault's keys deletes the snapshot's objects: the server refuses
    # to delete a locked version, and a plain delete only hides it.
    for info in s3.list(f"{PREFIX}snapshots/"):
        (version,) = _versions(s3, info.key)
        with pytest.raises(ClientError, match="AccessDenied"):
            s3.client.delete_object(Bucket=s3.bucket, Key=info.key, VersionId=version["VersionId"])
    s3.delete(manifest)
    assert [v["VersionId"] for v in _versions(s3, manifest)], "the locked version is still there"


def test_retention_keeps_locked_snapshots_until_their_date(endpoint: str, tmp_path: Path) -> None:
    _s3, vault = _vault(endpoint, "locked-two")
    ids = _backups(vault, tmp_path, 3)
    newest_only = Policy(rule=KEEP_NEWEST, options=(Option(number=1, period=1, type=0),))
    kept = prune(vault, newest_only)
    assert kept.deleted == []
    assert set(kept.locked) == set(ids[:2])
    assert set(vault.manifests()) == set(ids)
    # Past the date, the same rules delete them.
    later = datetime.now(UTC) + timedelta(days=2)
    gone = prune(vault, newest_only, now=later)
    assert gone.locked == {}
    assert sorted(gone.deleted) == sorted(ids[:2])
    assert set(vault.manifests()) == {ids[2]}


def test_a_bucket_without_object_lock_cannot_lock(endpoint: str) -> None:
    assert _bucket(endpoint, "plain-bucket", lock=False).object_lock_enabled() is False
    assert _bucket(endpoint, "lock-bucket", lock=True).object_lock_enabled() is True


def _storage(api: Api, endpoint: str, bucket: str) -> str:
    storage_id: str = api.ok(
        "/storages/add",
        {
            "name": bucket,
            "type": 2,
            "settings": {
                "endpointUrl": endpoint,
                "bucket": bucket,
                "accessKeyId": "k",
                "secretAccessKey": "s",
            },
        },
    )["id"]
    return storage_id


def test_a_plan_that_locks_its_snapshots(api: Api, endpoint: str, tmp_path: Path) -> None:
    """Through the API: refused where the storage cannot lock, and where it can, every
    snapshot a backup writes is locked for the plan's days, in its mode."""
    make_sources(tmp_path / "git", ("app",))
    lock = {"objectLockDays": "3", "objectLockMode": "governance"}
    org = api.ok("/git/organizations/add", {"driver": 6, "name": "refusals"})["id"]
    local = api.post(
        "/plans/creategitplan",
        {"name": "p", "organizationId": org, "gitChoiceMode": 1, "advancedOptions": lock},
    )
    assert local.status_code == 400
    assert "only S3 with Object Lock" in local.json()["detail"]
    suffix = uuid.uuid4().hex[:8]
    _bucket(endpoint, f"plain-{suffix}", lock=False)
    plain = api.post(
        "/plans/creategitplan",
        {
            "name": "p",
            "organizationId": org,
            "gitChoiceMode": 1,
            "storageId": _storage(api, endpoint, f"plain-{suffix}"),
            "advancedOptions": lock,
        },
    )
    assert plain.status_code == 400
    assert "has no Object Lock" in plain.json()["detail"]

    s3 = _bucket(endpoint, f"locked-{suffix}", lock=True)
    _org, _repos, plan = organization_with_plan(
        api,
        tmp_path / "git",
        storageId=_storage(api, endpoint, f"locked-{suffix}"),
        advancedOptions=lock,
    )
    tasks = wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
    assert [t["status"] for t in tasks] == [1], tasks
    manifests = [i.key for i in s3.list("repositories/") if i.key.endswith("manifest.json")]
    assert manifests
    for key in manifests:
        head = s3.client.head_object(Bucket=s3.bucket, Key=key)
        assert head["ObjectLockMode"] == "GOVERNANCE"
        left = head["ObjectLockRetainUntilDate"] - datetime.now(UTC)
        assert timedelta(days=2, hours=23) < left <= timedelta(days=3)
