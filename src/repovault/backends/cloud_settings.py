"""The settings of the Azure Blob (type 3) and Google Cloud Storage (type 4) backends: how
they are checked, how a backend is opened on them, and how a command-line URL names one
(`azure://container/prefix`, `gs://bucket/prefix`, credentials from the environment
variables the vendors' own tools read). `registry.py` lists them with the other types."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from repovault.backends.azure import AzureBlobBackend
from repovault.backends.base import Backend, SettingsError
from repovault.backends.gcs import GCSBackend

AZURE_KEYS = (
    "container",
    "prefix",
    "endpointUrl",
    "accountName",
    "accountKey",
    "sasToken",
    "connectionString",
)
AZURE_SECRETS = ("accountKey", "sasToken", "connectionString")
GCS_KEYS = ("bucket", "prefix", "project", "endpointUrl", "credentialsJson")
GCS_SECRETS = ("credentialsJson",)
# Azure: 3-63 lowercase letters, digits and single hyphens; GCS: 3-222 lowercase letters,
# digits, `-`, `_` and `.`, beginning and ending with a letter or digit.
AZURE_CONTAINER = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
GCS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
SERVICE_ACCOUNT_FIELDS = ("client_email", "private_key", "token_uri")


def _strings(settings: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The known keys (matched ignoring case) as strings or None; unknown keys dropped."""
    folded = {k.lower(): v for k, v in settings.items()}
    result: dict[str, Any] = {}
    for key in keys:
        value = folded.get(key.lower())
        if value is not None and not isinstance(value, str):
            raise SettingsError(key, "expected a string")
        result[key] = value.strip() if value and value.strip() else None
    return result


def _check_endpoint(url: str | None) -> None:
    parts = urlsplit(url or "")
    if url and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise SettingsError("endpointUrl", f"not an http(s) URL: {url!r}")


def azure_check(settings: Mapping[str, Any]) -> dict[str, Any]:
    result = _strings(settings, AZURE_KEYS)
    container = result["container"]
    if not container:
        raise SettingsError("container", "required for an Azure Blob storage")
    if not AZURE_CONTAINER.match(container):
        raise SettingsError(
            "container",
            f"not an Azure container name: {container!r} (3-63 lowercase letters, digits,"
            " single hyphens)",
        )
    _check_endpoint(result["endpointUrl"])
    if result["connectionString"]:
        if result["accountKey"] or result["sasToken"]:
            raise SettingsError(
                "connectionString", "give a connectionString or an accountKey/sasToken, not both"
            )
        return result
    if not result["accountName"]:
        raise SettingsError(
            "accountName", "required (with accountKey or sasToken) unless a connectionString is"
        )
    if not (result["accountKey"] or result["sasToken"]):
        raise SettingsError("accountKey", "an Azure Blob storage needs accountKey or sasToken")
    if result["accountKey"]:
        try:
            base64.b64decode(result["accountKey"], validate=True)
        except binascii.Error as exc:
            raise SettingsError("accountKey", "not an account key (base64)") from exc
    return result


def azure_open(settings: Mapping[str, Any]) -> Backend:
    return AzureBlobBackend(
        container=settings["container"],
        prefix=settings.get("prefix") or "",
        account_name=settings.get("accountName"),
        account_key=settings.get("accountKey"),
        sas_token=settings.get("sasToken"),
        connection_string=settings.get("connectionString"),
        endpoint_url=settings.get("endpointUrl"),
    )


def azure_from_url(url: str, options: Mapping[str, str | None]) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "container": parts.netloc,
        "prefix": parts.path.strip("/"),
        "endpointUrl": options.get("endpoint"),
        "accountName": os.environ.get("AZURE_STORAGE_ACCOUNT"),
        "accountKey": os.environ.get("AZURE_STORAGE_KEY"),
        "sasToken": os.environ.get("AZURE_STORAGE_SAS_TOKEN"),
        "connectionString": os.environ.get("AZURE_STORAGE_CONNECTION_STRING"),
    }


def _service_account(value: Any) -> str:
    """A service-account key as the JSON text it came as (or an object, serialised)."""
    try:
        info = json.loads(value) if isinstance(value, str) else value
    except ValueError as exc:
        raise SettingsError("credentialsJson", f"not JSON: {exc}") from exc
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise SettingsError("credentialsJson", "not a service-account key (type service_account)")
    missing = [field for field in SERVICE_ACCOUNT_FIELDS if not info.get(field)]
    if missing:
        raise SettingsError("credentialsJson", f"the key lacks {', '.join(missing)}")
    return json.dumps(info)


def gcs_check(settings: Mapping[str, Any]) -> dict[str, Any]:
    key = next((v for k, v in settings.items() if k.lower() == "credentialsjson"), None)
    plain = {k: v for k, v in settings.items() if k.lower() != "credentialsjson"}
    result = _strings(plain, GCS_KEYS)
    bucket = result["bucket"]
    if not bucket:
        raise SettingsError("bucket", "required for a Google Cloud Storage storage")
    if not GCS_BUCKET.match(bucket):
        raise SettingsError("bucket", f"not a Google Cloud Storage bucket name: {bucket!r}")
    _check_endpoint(result["endpointUrl"])
    result["credentialsJson"] = _service_account(key) if key else None
    if result["credentialsJson"] and not result["project"]:
        project = json.loads(result["credentialsJson"]).get("project_id")
        result["project"] = project if isinstance(project, str) and project else None
    return result


def gcs_open(settings: Mapping[str, Any]) -> Backend:
    return GCSBackend(
        bucket=settings["bucket"],
        prefix=settings.get("prefix") or "",
        project=settings.get("project"),
        credentials_json=settings.get("credentialsJson"),
        endpoint_url=settings.get("endpointUrl"),
    )


def gcs_from_url(url: str, options: Mapping[str, str | None]) -> dict[str, Any]:
    parts = urlsplit(url)
    key_file = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    return {
        "bucket": parts.netloc,
        "prefix": parts.path.strip("/"),
        "project": os.environ.get("GOOGLE_CLOUD_PROJECT"),
        "endpointUrl": options.get("endpoint") or emulator,
        "credentialsJson": Path(key_file).read_text() if key_file else None,
    }
