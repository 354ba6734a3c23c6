"""Issue 12 §3: a restore into a platform is resumable: after a crash anywhere, a rate limit,
or as the task's retry, a rerun creates nothing twice and leaves nothing out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.writes import writer_for
from repovault.runner.restore_platform import Wanted, restore_into
from tests.providers.fake_writable import WritablePlatform
from tests.runner.platform_world import (
    TOKEN,
    compare,
    creations,
    record_of,
    restore,
)


def test_a_rerun_after_a_crash_halfway_finishes_without_duplicates(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, _ = record_of()
        calls = 0

        def crash_at_the_third_issue() -> None:
            nonlocal calls
            calls += 1
            if calls == 3:
                raise RuntimeError("killed")

        record.check = crash_at_the_third_issue
        with pytest.raises(RuntimeError):
            restore(platform, snapshot, record)
        assert len(platform.state["acme/app"].issues) == 2
        again, _ = record_of(previous=dict(record.result))
        restore(platform, snapshot, again)
        compare(platform, tmp_path / "source.git")


class Crashing:
    """A writer that dies just before its `crash_at`-th creation (an issue, pull request,
    comment, label, release, file ...), as a worker killed there would."""

    CREATES = ("create", "create_issue", "create_pull", "upload_asset", "create_repository")

    def __init__(self, writer: Any, crash_at: int) -> None:
        self.writer = writer
        self.crash_at = crash_at
        self.made = 0

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.writer, name)
        if name not in self.CREATES:
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.made += 1
            if self.made == self.crash_at:
                raise RuntimeError(f"killed before creation {self.crash_at}")
            return found(*args, **kwargs)

        return counted


# 18 creations in all (test_round_trip...): a crash before each of them.
@pytest.mark.parametrize(
    ("gitea", "crash_at"),
    [(False, n) for n in range(1, 19)] + [(True, n) for n in (2, 7, 10, 13, 16, 17, 18)],
)
def test_a_crash_before_any_creation_then_a_rerun_leaves_no_duplicate_and_no_gap(
    tmp_path: Path, snapshot: tuple[Vault, Manifest], gitea: bool, crash_at: int
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=gitea, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        record, _ = record_of()
        access = Access(5 if gitea else 1, "acme", platform.api_url, None, TOKEN)
        wanted = Wanted(name="app", description="restored", private=True)
        with httpx.Client() as client:
            crashing = Crashing(writer_for(access, client), crash_at)
            with pytest.raises(RuntimeError, match="killed"):
                restore_into(crashing, *snapshot, wanted, record)
        again, _ = record_of(previous=dict(record.result))
        restore(platform, snapshot, again)
        compare(platform, tmp_path / "source.git")
        posts = creations(platform)
        assert len(posts) == 18


def test_a_rate_limited_write_is_retried_and_applied_once(
    tmp_path: Path, snapshot: tuple[Vault, Manifest]
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=False, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        platform.platform.limit = ("/issues", 2)
        record, _ = record_of()
        restore(platform, snapshot, record)
        compare(platform, tmp_path / "source.git")
        issue_posts = [w for w in platform.platform.writes if w == "POST /repos/acme/app/issues"]
        # 3 issues and 1 issue for pull request #4; two answered 429, not applied, retried
        assert len(issue_posts) == 4 + 2


@pytest.mark.parametrize("gitea", [False, True], ids=["github", "gitea"])
def test_a_rate_limited_upload_sends_the_whole_file_again(
    tmp_path: Path, snapshot: tuple[Vault, Manifest], gitea: bool
) -> None:
    with WritablePlatform(tmp_path / "target", gitea=gitea, token=TOKEN) as platform:
        (tmp_path / "target").mkdir(exist_ok=True)
        platform.platform.limit = ("/assets", 1)
        record, _ = record_of()
        restore(platform, snapshot, record)
        compare(platform, tmp_path / "source.git")  # the file's bytes, whole
        uploads = [w for w in platform.platform.writes if w.endswith("/assets")]
        assert len(uploads) == 2  # one answered 429, then the same file from its start
