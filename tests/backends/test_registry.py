"""One registry of backend types serves the API and the command line: the same checks, the
same secrets, the same way to open one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from repovault.backends.base import SettingsError
from repovault.backends.local import LocalBackend
from repovault.backends.registry import TYPES, backend_type, open_url
from repovault.backends.retry import RetryingBackend
from repovault.backends.s3 import S3Backend


def test_every_type_names_its_number_and_unknown_ones_are_refused() -> None:
    assert {1, 2, 3, 4, 5, 6, 7} <= set(TYPES)
    with pytest.raises(SettingsError, match="unknown storage type 9; 1 local folder, 2 S3") as exc:
        backend_type(9)
    assert exc.value.field == "type"


def test_checks_name_the_setting_at_fault(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as exc:
        backend_type(1).check({"path": "relative/folder"})
    assert exc.value.field == "path"
    with pytest.raises(SettingsError) as exc:
        backend_type(2).check({"bucket": "b", "accessKeyId": "k"})
    assert exc.value.field == "secretAccessKey"
    assert backend_type(1).check({"path": str(tmp_path / "new")}) == {"path": str(tmp_path / "new")}
    assert (tmp_path / "new").is_dir()
    assert backend_type(2).secrets == ("secretAccessKey",)


def test_a_command_line_url_opens_the_same_backends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = open_url(str(tmp_path / "store"))
    assert isinstance(local, RetryingBackend)
    assert isinstance(local.inner, LocalBackend)
    local.put("k", io.BytesIO(b"v"))
    assert (tmp_path / "store" / "k").read_bytes() == b"v"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    s3 = open_url("s3://bucket/some/prefix/", endpoint="http://127.0.0.1:9")
    assert isinstance(s3, RetryingBackend)
    assert isinstance(s3.inner, S3Backend)
    assert (s3.inner.bucket, s3.inner.prefix) == ("bucket", "some/prefix/")
