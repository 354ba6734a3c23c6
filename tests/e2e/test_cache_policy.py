"""REPOVAULT_CACHE_ENCRYPTED_PLANS=false: an encrypted plan leaves no plain copy of its
repositories in the mirror cache, while an unencrypted plan keeps its cache as before."""

from __future__ import annotations

from pathlib import Path

from repovault.runtime import Runtime
from tests.conftest import Api
from tests.e2e.flow import make_sources, organization_with_plan, wait_tasks
from tests.engine.repos import commit, git


def test_encrypted_plans_keep_no_mirror(api: Api, runtime: Runtime, tmp_path: Path) -> None:
    runtime.settings.cache_encrypted_plans = False
    sources = make_sources(tmp_path / "git", ("app",))
    _org, repos, plan = organization_with_plan(
        api, tmp_path / "git", encryptionSettings={"algorithm": 1, "password": "plan-password"}
    )
    mirrors = runtime.settings.data_dir / "cache" / "mirrors"
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(sources["team/app"]), str(work))
    git(work, "checkout", "-q", "main")
    for _ in range(2):
        tasks = wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
        assert [t["status"] for t in tasks] == [1], tasks
        assert not (mirrors / repos["team/app"]).exists()
        commit(work, "more", {"more.txt": b"more\n"})
        git(work, "push", "-q", "origin", "main")
    kinds = [
        s["kind"]
        for s in api.ok("/git/repositories/snapshots", {"id": repos["team/app"]})["result"]
    ]
    assert kinds == ["incremental", "full"]


def test_unencrypted_plans_keep_their_mirror(api: Api, runtime: Runtime, tmp_path: Path) -> None:
    runtime.settings.cache_encrypted_plans = False
    make_sources(tmp_path / "git", ("app",))
    _org, repos, plan = organization_with_plan(api, tmp_path / "git")
    tasks = wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
    assert [t["status"] for t in tasks] == [1], tasks
    assert (runtime.settings.data_dir / "cache" / "mirrors" / repos["team/app"]).is_dir()
