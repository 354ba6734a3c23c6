from __future__ import annotations

from pathlib import Path

import pytest

from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from tests.runner.platform_world import make_snapshot


@pytest.fixture
def snapshot(tmp_path: Path) -> tuple[Vault, Manifest]:
    """A backup of acme/app: its git from disk, its metadata from the fake GitHub."""
    return make_snapshot(tmp_path)
