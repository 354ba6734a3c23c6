"""Issue 12 §3: a restore into GitLab killed before any one of its API writes (inside a
writer's call too: between a merge request and the issue keeping its number, an issue and
its closing, a file's upload and its link), then run again: nothing twice, nothing missing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.writes import writer_for
from repovault.runner.restore_platform import Wanted, restore_into
from tests.providers.fake_gitlab_writable import WritableGitLab
from tests.runner.platform_world import TOKEN, make_snapshot, record_of
from tests.runner.test_restore_gitlab import (
    compare_into_gitlab,
    restore_into_gitlab,
    with_mr_comment,
)

WRITES = 25  # POST and PUT requests of the whole restore (test_restore_gitlab.py's data)
CREATES = 21  # of which POST


class Killed(Exception):
    pass


class KillingTransport(httpx.HTTPTransport):
    """Dies before sending its `kill_at`-th API write, as a worker killed there would."""

    def __init__(self, kill_at: int) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.writes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET" and "/api/v4/" in request.url.path:
            self.writes += 1
            if self.writes == self.kill_at:
                raise Killed(f"killed before write {self.kill_at}")
        return super().handle_request(request)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[Vault, Manifest]]:
    """The source's bare repository, and its snapshot (made once for every case)."""
    folder = tmp_path_factory.mktemp("source")
    return folder / "source.git", make_snapshot(folder, with_mr_comment())


@pytest.mark.parametrize("kill_at", range(1, WRITES + 1))
def test_a_kill_before_any_write_then_a_rerun_leaves_no_duplicate_and_no_gap(
    tmp_path: Path, source: tuple[Path, tuple[Vault, Manifest]], kill_at: int
) -> None:
    source_git, snapshot = source
    with WritableGitLab(tmp_path / "gitlab", token=TOKEN) as gitlab:
        record, _ = record_of()
        access = Access(3, "acme", gitlab.api_url, None, TOKEN)
        wanted = Wanted(name="app", description="restored", private=True)
        transport = KillingTransport(kill_at)
        with httpx.Client(transport=transport) as client, pytest.raises(Killed):
            restore_into(writer_for(access, client), *snapshot, wanted, record)
        again, _ = record_of(previous=dict(record.result))
        restore_into_gitlab(gitlab, snapshot, again)
        compare_into_gitlab(gitlab, source_git)
        posts = [w for w in gitlab.gitlab.writes if w.startswith("POST")]
        uploads = [w for w in posts if w.endswith("/uploads")]
        # Killed between a file's upload and its link, the rerun uploads it again (the first
        # upload stays in the project, linked from nowhere): the one extra POST there is.
        assert len(posts) - (len(uploads) - 1) == CREATES, posts
