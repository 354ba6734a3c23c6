"""Issue 12 §3: a restore into Bitbucket Cloud killed before any one of its API writes
(inside a writer's call too: between a pull request and the issue keeping its number, an
issue and its resolving), then run again: nothing twice, nothing missing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.writes import writer_for
from repovault.runner.restore_platform import Wanted, restore_into
from tests.providers.fake_bitbucket_writable import WritableBitbucket
from tests.runner.platform_world import TOKEN, make_snapshot, record_of
from tests.runner.test_restore_bitbucket import (
    USER,
    compare_into_bitbucket,
    restore_into_bitbucket,
    with_pull_comment,
)

WRITES = 17  # POST and PUT requests of the whole restore (test_restore_bitbucket.py's data)
CREATES = 13  # of which POST


class Killed(Exception):
    pass


class KillingTransport(httpx.HTTPTransport):
    """Dies before sending its `kill_at`-th API write, as a worker killed there would."""

    def __init__(self, kill_at: int) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.writes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET" and request.url.path.startswith("/2.0/"):
            self.writes += 1
            if self.writes == self.kill_at:
                raise Killed(f"killed before write {self.kill_at}")
        return super().handle_request(request)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[Vault, Manifest]]:
    """The source's bare repository, and its snapshot (made once for every case)."""
    folder = tmp_path_factory.mktemp("source")
    return folder / "source.git", make_snapshot(folder, with_pull_comment())


def test_the_counts_are_the_whole_restore(
    tmp_path: Path, source: tuple[Path, tuple[Vault, Manifest]]
) -> None:
    with WritableBitbucket(tmp_path / "bitbucket", user=USER, password=TOKEN) as bitbucket:
        restore_into_bitbucket(bitbucket, source[1], record_of()[0])
        assert len(bitbucket.writes) == WRITES
        assert len([w for w in bitbucket.writes if w.startswith("POST")]) == CREATES


@pytest.mark.parametrize("kill_at", range(1, WRITES + 1))
def test_a_kill_before_any_write_then_a_rerun_leaves_no_duplicate_and_no_gap(
    tmp_path: Path, source: tuple[Path, tuple[Vault, Manifest]], kill_at: int
) -> None:
    source_git, snapshot = source
    with WritableBitbucket(tmp_path / "bitbucket", user=USER, password=TOKEN) as bitbucket:
        record, _ = record_of()
        access = Access(2, "acme", bitbucket.api_url, USER, TOKEN)
        wanted = Wanted(name="app", description="restored", private=True)
        with httpx.Client(transport=KillingTransport(kill_at)) as client, pytest.raises(Killed):
            restore_into(writer_for(access, client), *snapshot, wanted, record)
        again, _ = record_of(previous=dict(record.result))
        restore_into_bitbucket(bitbucket, snapshot, again)
        compare_into_bitbucket(bitbucket, source_git)
        posts = [w for w in bitbucket.writes if w.startswith("POST")]
        assert len(posts) == CREATES, posts
