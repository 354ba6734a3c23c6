"""The registry's Azure Blob (type 3) and Google Cloud Storage (type 4) entries: settings
checked with the field at fault named, secrets declared for sealing, and the command line's
`azure://` and `gs://` URLs opening the same backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from repovault.backends.azure import AzureBlobBackend
from repovault.backends.base import StorageError
from repovault.backends.gcs import GCSBackend
from repovault.backends.registry import SettingsError, backend_type, open_url
from repovault.backends.retry import RetryingBackend
from tests.backends.servers_cloud import AZURITE_KEY

KEY = {
    "type": "service_account",
    "project_id": "from-key",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n",
    "client_email": "backup@from-key.iam.gserviceaccount.com",
    "token_uri": "https://oauth2.googleapis.com/token",
}


def _field(number: int, settings: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as exc:
        backend_type(number).check(settings)
    return exc.value.field


def test_azure_settings_name_the_field_at_fault() -> None:
    good = {"container": "backups", "accountName": "acct", "accountKey": AZURITE_KEY}
    assert _field(3, {**good, "container": None}) == "container"
    assert _field(3, {**good, "container": "Bad_Name"}) == "container"
    assert _field(3, {**good, "container": "a--b"}) == "container"
    assert _field(3, {**good, "accountName": None}) == "accountName"
    assert _field(3, {**good, "accountKey": None}) == "accountKey"
    assert _field(3, {**good, "accountKey": "not base64!"}) == "accountKey"
    assert _field(3, {**good, "accountKey": 5}) == "accountKey"
    assert _field(3, {**good, "endpointUrl": "ftp://host"}) == "endpointUrl"
    assert _field(3, {**good, "connectionString": "AccountName=a"}) == "connectionString"
    checked = backend_type(3).check({**good, "ACCOUNTNAME": "other", "unknown": "dropped"})
    assert checked["accountName"] == "other"
    assert "unknown" not in checked
    assert (
        backend_type(3).check({"container": "backups", "connectionString": "x"})["connectionString"]
        == "x"
    )
    assert backend_type(3).check({"container": "b1b", "accountName": "a", "sasToken": "sv=1"})
    assert backend_type(3).secrets == ("accountKey", "sasToken", "connectionString")


def test_gcs_settings_name_the_field_at_fault() -> None:
    assert _field(4, {}) == "bucket"
    assert _field(4, {"bucket": "Upper"}) == "bucket"
    assert _field(4, {"bucket": "bkt", "credentialsJson": "{nope"}) == "credentialsJson"
    assert _field(4, {"bucket": "bkt", "credentialsJson": "{}"}) == "credentialsJson"
    lacking = {k: v for k, v in KEY.items() if k != "private_key"}
    with pytest.raises(SettingsError, match="lacks private_key"):
        backend_type(4).check({"bucket": "bkt", "credentialsJson": json.dumps(lacking)})
    assert _field(4, {"bucket": "bkt", "endpointUrl": "localhost:9023"}) == "endpointUrl"
    # the key as text or as an object; the project taken from it unless given
    for given in (json.dumps(KEY), KEY):
        checked = backend_type(4).check({"bucket": "my.bucket_1", "credentialsJson": given})
        assert json.loads(checked["credentialsJson"]) == KEY
        assert checked["project"] == "from-key"
    assert backend_type(4).check({"bucket": "bkt"}) == {
        "bucket": "bkt",
        "prefix": None,
        "project": None,
        "endpointUrl": None,
        "credentialsJson": None,
    }
    assert backend_type(4).secrets == ("credentialsJson",)


def test_command_line_urls_open_azure_and_gcs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "devstoreaccount1")
    monkeypatch.setenv("AZURE_STORAGE_KEY", AZURITE_KEY)
    opened = open_url(
        "azure://backups/some/prefix/", endpoint="http://127.0.0.1:9/devstoreaccount1"
    )
    assert isinstance(opened, RetryingBackend)  # every backend is opened with retries
    azure = opened.inner
    assert isinstance(azure, AzureBlobBackend)
    assert (azure.client.container_name, azure.prefix) == ("backups", "some/prefix/")
    assert azure.client.account_name == "devstoreaccount1"

    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(KEY))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "from-env")
    with pytest.raises(StorageError, match="service-account key"):  # the key above is no RSA key
        open_url("gs://bkt/p", endpoint="http://127.0.0.1:9")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    wrapped = open_url("gs://bkt/p/q", endpoint="http://127.0.0.1:9")
    assert isinstance(wrapped, RetryingBackend)
    gcs = wrapped.inner
    assert isinstance(gcs, GCSBackend)
    assert (gcs.bucket.name, gcs.prefix, gcs.client.project) == ("bkt", "p/q/", "from-env")
