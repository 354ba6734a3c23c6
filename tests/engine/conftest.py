"""Engine fixtures: the engine runs on a local folder and on S3 (a real `rclone serve s3`);
what every other storage type must do is the storage conformance suite's (tests/backends)."""

from pathlib import Path

import pytest

from repovault.backends.base import Backend
from repovault.backends.local import LocalBackend
from tests.backends.conftest import s3_backend, s3_server

__all__ = ["backend", "s3_backend", "s3_server"]


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        return LocalBackend(tmp_path / "storage")
    s3: Backend = request.getfixturevalue("s3_backend")
    return s3
