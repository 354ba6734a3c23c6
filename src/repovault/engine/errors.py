"""What can go wrong in the engine, and whether trying again can help.

Every engine error says so in `permanent`: a task whose error is permanent fails on the
attempt that met it (`repovault.runner.errors.is_permanent` decides for any exception);
a transient one is retried under the plan's retry policy.

    EngineError                      permanent unless the class says otherwise
    ├── DamagedSnapshot              stored data is missing, altered or does not decode
    │   ├── MissingObject            an object its manifest lists is gone
    │   ├── ChecksumMismatch         an object's size or SHA-256 differs from the manifest
    │   ├── AuthenticationFailed     an encrypted chunk does not authenticate (AEAD tag)
    │   ├── CorruptObject            an object does not decompress, a bundle does not apply,
    │   │                            refs differ or git fsck fails after applying it
    │   └── MissingManifest          a snapshot once completed (in catalog.json) lost its
    │                                manifest, or depends on one that did
    ├── DecryptionError              (engine.crypto) wrong or missing password, unknown key
    ├── RestoreError                 the restore cannot be done as asked
    │   ├── NoSnapshot               no snapshot at all, or none with the id given
    │   └── TargetNotEmpty           the target folder holds files
    ├── PushFailed                   transient: pushing a restored snapshot to a URL failed
    ├── LockedError                  transient: (engine.lock) another live process is
    │                                backing up the same folder
    └── GitError                     (engine.git) transient unless raised as permanent

Storage errors (`repovault.backends.base.StorageError`) carry their own `permanent` (an S3
refusal such as AccessDenied is; a network error is not).
"""

from __future__ import annotations


class EngineError(Exception):
    """An engine failure; `permanent` when running the same thing again cannot help."""

    permanent: bool = True


class DamagedSnapshot(EngineError):
    """A stored object is missing, altered or does not decode."""


class MissingObject(DamagedSnapshot):
    """An object that a manifest lists is not in storage."""


class ChecksumMismatch(DamagedSnapshot):
    """An object's stored bytes differ from what its manifest recorded."""


class AuthenticationFailed(DamagedSnapshot):
    """An encrypted object's chunk does not authenticate: the bytes were changed."""


class CorruptObject(DamagedSnapshot):
    """An object does not decode, or git refuses what it holds."""


class MissingManifest(DamagedSnapshot):
    """A snapshot that was completed once has lost its manifest, or depends on one that has."""

    def __init__(self, message: str, *, snapshot: str) -> None:
        super().__init__(message)
        self.snapshot = snapshot


class RestoreError(EngineError):
    """The restore cannot be done as asked."""


class NoSnapshot(RestoreError):
    """There is no snapshot to restore, or none with the id given."""


class TargetNotEmpty(RestoreError):
    """The folder to restore into holds files."""


class PushFailed(EngineError):
    """Pushing a restored snapshot to a git URL failed (the network, the server)."""

    permanent = False
