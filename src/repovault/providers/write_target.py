"""The repository a platform restore writes into, as every writer (writes.py,
writes_gitlab.py) answers it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TargetRepository:
    full_name: str
    clone_url: str
    empty: bool
