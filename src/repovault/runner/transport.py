"""The credentials of an organization's git transfers on this worker: its platform's HTTP
credentials, or its SSH key (engine/ssh.py) with, when it accepts new host keys, its own
known_hosts file in this worker's data folder (each worker pins on its own first use)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from repovault.engine import git as g
from repovault.providers.base import Access

PINS = "known_hosts"  # <data dir>/known_hosts/<organization id>


def pin_file(data_dir: Path, organization_id: str) -> Path:
    return data_dir / PINS / organization_id


def git_credentials(
    data_dir: Path, access: Access, http: Callable[[], g.Credentials | None]
) -> g.Credentials | None:
    """What git transfers of the organization's repositories use. With an SSH key, a
    platform whose https URLs all go over SSH needs no HTTP credential (none is asked of
    `http`, so a GitHub App mints no token for git)."""
    key = access.ssh
    if key is None:
        return http()
    if key.accept_new:
        key = replace(key, pin_file=pin_file(data_dir, key.owner))
    over_http = None if key.convert else http()
    return replace(over_http, ssh=key) if over_http is not None else g.Credentials(ssh=key)
