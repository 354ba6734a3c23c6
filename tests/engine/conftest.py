"""Engine fixtures: storage backends (shared with the storage conformance suite)."""

from tests.backends.conftest import backend, s3_backend, s3_server

__all__ = ["backend", "s3_backend", "s3_server"]
