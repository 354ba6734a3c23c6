"""Storages through the API: a secret setting is sealed at rest and never answered."""

from __future__ import annotations

import json

from sqlalchemy import select

from repovault.runtime import Runtime
from repovault.storages.models import Storage
from tests.conftest import Api


def test_an_s3_secret_is_sealed_at_rest_and_never_listed(api: Api, runtime: Runtime) -> None:
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    settings = {"bucket": "backups", "accessKeyId": "AKIAEXAMPLE", "secretAccessKey": secret}
    created = api.ok("/storages/add", {"name": "offsite", "type": 2, "settings": settings})
    listed = api.ok("/storages/getmany", {})
    assert secret not in json.dumps(listed)
    (offsite,) = [s for s in listed["result"] if s["id"] == created["id"]]
    assert offsite["settings"] == {
        "endpointUrl": None,
        "bucket": "backups",
        "prefix": None,
        "region": None,
        "accessKeyId": "AKIAEXAMPLE",
    }
    with runtime.db.session() as session:
        row = session.scalars(select(Storage).where(Storage.id == created["id"])).one()
        assert secret not in json.dumps(row.settings)
        assert runtime.box.open(row.settings["secretAccessKeySealed"]) == secret
