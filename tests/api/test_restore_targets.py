"""A directory restore writes only below the configured restore roots.

The server often runs as root: a restore that accepted any path could overwrite any file on
the machine. The path is checked on its resolved real path (`..`, symlinks), never reaches the
storage or the data folder's own files, and must be a new or empty folder; all of this is
known at the call, so it is a 400 before any task exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from repovault.config import Settings
from repovault.repositories.targets import TargetRefused, check_directory
from repovault.runtime import Runtime
from repovault.tasks.models import Task
from tests.api.world import build_world
from tests.conftest import Api


def _task_count(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Task)) or 0)


def _restore(api: Api, repository: str, path: str) -> object:
    return api.post(
        "/git/repositories/restore",
        {"id": repository, "target": {"kind": "directory", "path": path}},
    )


@pytest.fixture
def _roots(runtime: Runtime, tmp_path: Path) -> None:
    """One root of its own, so that the rest of the test's folder is outside it."""
    runtime.settings.restore_roots = [tmp_path / "roots"]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def test_the_default_root_is_the_data_folders_restores(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.effective_restore_roots == [(tmp_path / "data" / "restores").resolve()]
    expected = (tmp_path / "data" / "restores" / "app.git").resolve()
    assert check_directory(settings, "app.git") == expected


def test_roots_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPOVAULT_RESTORE_ROOTS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.effective_restore_roots == [tmp_path / "a", tmp_path / "b"]


@pytest.mark.usefixtures("_roots")
def test_paths_that_leave_the_roots_are_refused(
    api: Api, runtime: Runtime, tmp_path: Path, outside: Path
) -> None:
    world = build_world(api, runtime)
    root = runtime.settings.effective_restore_roots[0]
    (root / "link").parent.mkdir(parents=True, exist_ok=True)
    (root / "link").symlink_to(outside, target_is_directory=True)
    before = _task_count(runtime)
    for path in [
        str(outside / "repo.git"),  # another folder of the machine
        "/etc/repovault-restore",
        f"{root}/../outside/repo.git",  # `..` out of the root
        "../outside/repo.git",  # relative, then out
        str(root / "link" / "repo.git"),  # a symlink inside the root that points out
        str(root),  # the root itself, not below it
    ]:
        response = _restore(api, world.repos[0], path)
        assert response.status_code == 400, (path, response.text)  # type: ignore[attr-defined]
        body = response.json()  # type: ignore[attr-defined]
        assert body["errorCode"] == "RQ1002"
        assert "target.path" in body["errors"]
        assert "restore root" in body["detail"]
    assert _task_count(runtime) == before
    assert list(outside.iterdir()) == []


@pytest.mark.usefixtures("_roots")
def test_the_storage_and_the_data_folder_are_never_targets(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    """Even when a root is configured around them."""
    settings = runtime.settings
    settings.restore_roots = [tmp_path]
    world = build_world(api, runtime)
    storage = api.ok(
        "/storages/add", {"name": "s2", "type": 1, "settings": {"path": str(tmp_path / "s2")}}
    )
    assert storage["id"]
    for path in [
        settings.data_dir / "storage" / "x.git",
        settings.data_dir / "cache" / "mirrors" / "x.git",
        settings.data_dir / "secret.key",
        settings.data_dir / "new-folder",
        settings.data_dir,
        tmp_path / "s2" / "repositories",
    ]:
        response = _restore(api, world.repos[0], str(path))
        assert response.status_code == 400, (path, response.text)  # type: ignore[attr-defined]
        assert "target.path" in response.json()["errors"]  # type: ignore[attr-defined]


@pytest.mark.usefixtures("_roots")
def test_a_folder_that_holds_anything_is_refused_at_the_call(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    root = runtime.settings.effective_restore_roots[0]
    full = root / "full"
    full.mkdir(parents=True)
    (full / "keep.txt").write_text("mine")
    (root / "file").write_text("a file")
    before = _task_count(runtime)
    for path in (full, root / "file"):
        response = _restore(api, world.repos[0], str(path))
        assert response.status_code == 400, response.text  # type: ignore[attr-defined]
        assert (
            "not empty" in response.json()["detail"] or "not a folder" in response.json()["detail"]
        )  # type: ignore[attr-defined]
    assert _task_count(runtime) == before
    assert (full / "keep.txt").read_text() == "mine"


@pytest.mark.usefixtures("_roots")
def test_an_empty_or_new_folder_below_a_root_is_accepted(api: Api, runtime: Runtime) -> None:
    world = build_world(api, runtime)
    root = runtime.settings.effective_restore_roots[0]
    (root / "empty").mkdir(parents=True)
    for path in (str(root / "empty"), str(root / "new" / "deeper.git"), "relative.git"):
        response = _restore(api, world.repos[0], path)
        assert response.status_code == 200, (path, response.text)  # type: ignore[attr-defined]


def test_the_worker_checks_again_on_its_own_settings(tmp_path: Path, outside: Path) -> None:
    """Between the call and the run a folder may have become a symlink out of the root."""
    settings = Settings(data_dir=tmp_path / "data", restore_roots=[tmp_path / "roots"])
    target = tmp_path / "roots" / "repo.git"
    assert check_directory(settings, str(target)) == target
    target.parent.mkdir(parents=True)
    target.symlink_to(outside, target_is_directory=True)
    with pytest.raises(TargetRefused, match="restore root"):
        check_directory(settings, str(target))
