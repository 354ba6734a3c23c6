"""Whether a failed attempt is worth another: the one place that decides.

A permanent error fails its task on the attempt that met it; anything else is retried
under the plan's retry policy (`maxTaskRetriesCount`, `taskRetriesFrequency`).

    permanent   errors that say so: engine errors (damaged storage: a missing object, a
                checksum mismatch, a chunk that does not authenticate, a lost manifest;
                a wrong or missing password; no snapshot to restore; a target folder that
                is not empty), a job's own `JobFailed(permanent=True)` (the repository or
                plan is gone, damage found by verify), storage refusals (S3 AccessDenied),
                git errors raised as permanent (git-lfs not installed), provider errors
                such as a revoked token; and a storage object that is not found
                (`FileNotFoundError`: snapshot data that is gone stays gone)
    transient   everything else: network and storage I/O errors, timeouts, a lock held by
                another live process (`LockedError`), a failed push, git errors of the
                remote, and errors nobody classified
"""

from __future__ import annotations

PERMANENT_TYPES: tuple[type[BaseException], ...] = (FileNotFoundError, NotADirectoryError)


def is_permanent(exc: BaseException) -> bool:
    """True when a retry cannot fix what raised `exc`."""
    declared = getattr(exc, "permanent", None)
    if isinstance(declared, bool):
        return declared
    return isinstance(exc, PERMANENT_TYPES)
