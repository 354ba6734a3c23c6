"""One place decides whether a failed attempt is worth another (runner/errors.py)."""

from __future__ import annotations

import pytest

from repovault.backends.base import StorageError
from repovault.engine import git as g
from repovault.engine.crypto import DecryptionError
from repovault.engine.errors import (
    AuthenticationFailed,
    ChecksumMismatch,
    MissingManifest,
    MissingObject,
    NoSnapshot,
    PushFailed,
    TargetNotEmpty,
)
from repovault.engine.lock import LockedError
from repovault.providers.base import ProviderAuthError, ProviderError
from repovault.runner.errors import is_permanent
from repovault.runner.execute import JobFailed


@pytest.mark.parametrize(
    "error",
    [
        MissingObject("snapshot s: bundle is missing"),
        ChecksumMismatch("snapshot s: bundle does not match its manifest"),
        AuthenticationFailed("snapshot s: bundle does not authenticate"),
        MissingManifest("snapshot s is damaged", snapshot="s"),
        DecryptionError("wrong password for this repository's snapshots"),
        NoSnapshot("there is no snapshot to restore"),
        TargetNotEmpty("/x is not empty"),
        JobFailed("the plan no longer exists", permanent=True),
        StorageError("S3 refused (AccessDenied)", permanent=True),
        g.GitError("git-lfs is not installed", permanent=True),
        ProviderAuthError("bad token"),
        FileNotFoundError("snapshots/s/bundle"),
    ],
)
def test_permanent(error: Exception) -> None:
    assert is_permanent(error)


@pytest.mark.parametrize(
    "error",
    [
        LockedError("r/ is being backed up by elsewhere:1:abcd"),
        PushFailed("push to https://x failed"),
        g.GitError("fetch failed: connection reset"),
        StorageError("S3 refused (SlowDown)"),
        ProviderError("502 Bad Gateway"),
        JobFailed("a pre-backup action failed"),
        OSError(5, "Input/output error"),
        TimeoutError("timed out"),
        RuntimeError("nobody classified this"),
    ],
)
def test_transient(error: Exception) -> None:
    assert not is_permanent(error)
