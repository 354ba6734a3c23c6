"""An organization taken away as ONE archive (issue 12 §2): three repositories of the fake
GitHub backed up for real by the embedded worker under three plans (`app` by an encrypted
plan, `lib` twice, `docs` only after the point in time), exported by one `orgexport` task,
downloaded through `exportlink` and unpacked: the README and index.json say what is where,
each repository passes `git fsck` with the refs of the snapshot `at` chose (the older of
`lib`'s two), its JSON files hold that snapshot's documents, and `docs` is skipped with why.
Bad input is refused before any task exists."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from repovault.common.errors import InvalidInput
from repovault.engine.layout import manifest_key, vault_prefix
from repovault.providers.metadata import stream_items
from repovault.repositories.org_exports import parse_at
from repovault.repositories.vaults import find_snapshot
from repovault.runner import export
from repovault.runtime import Runtime
from repovault.tasks.models import Task
from tests.api.test_export import _problem, _refs
from tests.conftest import Api
from tests.e2e.flow import make_sources, wait_tasks
from tests.e2e.metadata import _synchronized, github_with_metadata, repo_data, run
from tests.engine.repos import git
from tests.providers.fake_github import FakeGitHub, repository

NAMES = ("app", "lib", "docs")


class Org:
    def __init__(self, org: str, repos: dict[str, str], plans: dict[str, str]) -> None:
        self.org, self.repos, self.plans = org, repos, plans


def _organization(api: Api, github: FakeGitHub, folder: Path) -> tuple[Org, dict[str, Path]]:
    sources = make_sources(folder, NAMES)
    items = []
    for number, name in enumerate(NAMES, 1):
        item = repository(100 + number, f"acme/{name}", private=True)
        item.update(clone_url=sources[f"team/{name}"].as_uri(), has_wiki=False)
        items.append(item)
        github.repo_data[f"acme/{name}"] = repo_data()
    github.orgs["acme"] = items
    github.asset_files["1"] = b"PK release archive"
    org = api.ok("/git/organizations/add", {"driver": 1, "name": "acme", "token": "ghp_test"})
    found = _synchronized(api, org["id"])
    repos = {name: found[f"acme/{name}"] for name in NAMES}
    api.ok("/git/repositories/activate", {"ids": list(repos.values())})
    plans = {}
    for name in NAMES:
        body: dict[str, Any] = {
            "name": f"plan {name}",
            "organizationId": org["id"],
            "gitChoiceMode": 2,
            "repositoriesIds": [repos[name]],
            "schedule": {"scheme": 1, "options": []},
        }
        if name == "app":
            body["encryptionSettings"] = {"algorithm": 1, "password": "app-password"}
        plans[name] = api.ok("/plans/creategitplan", body)["id"]
    return Org(org["id"], repos, plans), {n: sources[f"team/{n}"] for n in NAMES}


def _backup(api: Api, plan: str) -> str:
    (task,) = wait_tasks(api, api.ok("/plans/run", {"id": plan, "kind": 1})["taskIds"])
    assert task["status"] == 1, task["logs"]
    snapshot: str = task["result"]["snapshotId"]
    return snapshot


def _taken(api: Api, repo: str, snapshot: str) -> int:
    listed = api.ok("/git/repositories/snapshots", {"id": repo})["result"]
    (created,) = [s["createdAt"] for s in listed if s["id"] == snapshot]
    return int(created)


def _push_commit(source: Path, scratch: Path) -> None:
    work = scratch / "lib-work"
    git(scratch, "clone", "-q", str(source), str(work))
    ident = ["-c", "user.name=t", "-c", "user.email=t@t"]
    git(work, *ident, "commit", "-q", "--allow-empty", "-m", "after the point in time")
    git(work, "push", "-q", "origin", "HEAD")


def _unpack(api: Api, task_id: str, folder: Path) -> Path:
    link = api.ok("/git/repositories/exportlink", {"taskId": task_id})
    response = api.client.get(link["url"])
    assert response.status_code == 200, response.text
    assert len(response.content) == link["sizeBytes"]
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as tar:
        tar.extractall(folder, filter="data")
    (root,) = folder.iterdir()
    assert root.name == link["fileName"].removesuffix(".tar.gz")
    return root


def _same_documents(runtime: Runtime, repo: str, snapshot: str, folder: Path) -> None:
    vault, choice = find_snapshot(runtime, repo, snapshot)
    archived = {
        p.relative_to(folder / "metadata").as_posix(): p
        for p in (folder / "metadata").rglob("*")
        if p.is_file()
    }
    stored = {o.name.removeprefix("meta/"): o for o in choice.manifest.objects if "meta/" in o.name}
    assert set(archived) == set(stored)
    assert "issues.json" in stored
    for name, item in stored.items():
        blocks = vault.read_object(choice.manifest, item)
        if name.endswith(".json"):
            assert json.loads(archived[name].read_text("utf-8")) == list(stream_items(blocks))
        else:
            assert archived[name].read_bytes() == b"".join(blocks)


@pytest.fixture
def exported(api: Api, github: FakeGitHub, tmp_path: Path) -> dict[str, Any]:
    org, sources = _organization(api, github, tmp_path / "git")
    app = _backup(api, org.plans["app"])
    lib_old = _backup(api, org.plans["lib"])
    at = max(_taken(api, org.repos["app"], app), _taken(api, org.repos["lib"], lib_old))
    refs_then = {"app": _refs(sources["app"]), "lib": _refs(sources["lib"])}
    _push_commit(sources["lib"], tmp_path)
    lib_new = _backup(api, org.plans["lib"])
    docs = _backup(api, org.plans["docs"])
    assert _taken(api, org.repos["lib"], lib_new) > at
    assert _taken(api, org.repos["docs"], docs) > at
    assert _refs(sources["lib"]) != refs_then["lib"]
    return {"org": org, "at": at, "app": app, "lib": lib_old, "refs": refs_then}


def test_an_organization_at_a_time_is_one_archive(
    api: Api, exported: dict[str, Any], runtime: Runtime, tmp_path: Path
) -> None:
    org: Org = exported["org"]
    task_id = api.ok("/git/organizations/export", {"id": org.org, "at": exported["at"]})["taskId"]
    (task,) = wait_tasks(api, [task_id])
    assert task["kind"] == "orgexport"
    assert task["status"] == 1, task["logs"]  # docs had no snapshot by then: no warning
    assert any(
        line["message"].startswith("acme/docs: skipped, no snapshot taken at or before")
        for line in task["logs"]
    )
    messages = [line["message"] for line in task["logs"]]
    assert any(m.startswith("1/2 acme/app: snapshot") for m in messages), messages
    assert any(m.startswith("2/2 acme/lib: snapshot") for m in messages), messages
    root = _unpack(api, task_id, tmp_path / "out")
    assert root.name.startswith("acme-")

    assert sorted(p.name for p in root.iterdir()) == [
        "README.md",
        "acme_app",
        "acme_lib",
        "index.json",
    ]
    index = json.loads((root / "index.json").read_text("utf-8"))
    assert index["atMs"] == exported["at"]
    assert (index["organization"], index["organizationId"]) == ("acme", org.org)
    assert index["scope"] == "organization acme"
    chosen = {r["name"]: r for r in index["repositories"]}
    assert set(chosen) == {"acme/app", "acme/lib"}
    assert chosen["acme/app"]["snapshotId"] == exported["app"]
    assert chosen["acme/app"]["planId"] == org.plans["app"]
    assert chosen["acme/lib"]["snapshotId"] == exported["lib"]  # the older of two
    assert chosen["acme/lib"]["takenAtMs"] <= exported["at"]
    issues = [i for i in repo_data()["issues"] if "pull_request" not in i]  # GitHub: not PRs
    assert chosen["acme/lib"]["documents"]["issues.json"] == len(issues)
    (skipped,) = index["skipped"]
    assert skipped["id"] == org.repos["docs"]
    assert skipped["name"] == "acme/docs"
    assert "no snapshot taken at or before" in skipped["reason"]
    readme = (root / "README.md").read_text("utf-8")
    assert "`acme_lib/`: acme/lib" in readme
    assert exported["lib"] in readme
    assert "acme/docs: no snapshot" in readme

    for name in ("app", "lib"):
        folder = root / f"acme_{name}"
        bare = folder / "repository.git"
        subprocess.run(["git", "-C", str(bare), "fsck", "--full"], check=True)
        assert _refs(bare) == exported["refs"][name]
        assert (folder / "README.md").is_file()
        _same_documents(runtime, org.repos[name], exported[name], folder)
    # The encrypted plan's repository is plain in the archive.
    assert b"Crash on start" in (root / "acme_app" / "metadata" / "issues.json").read_bytes()


def test_a_plans_export_takes_that_plans_repositories(
    api: Api, exported: dict[str, Any], tmp_path: Path
) -> None:
    org: Org = exported["org"]
    body = {"planId": org.plans["lib"], "at": exported["at"]}
    (task,) = wait_tasks(api, [api.ok("/git/organizations/export", body)["taskId"]])
    assert task["status"] == 1, task["logs"]
    assert task["result"]["repositories"] == 1
    root = _unpack(api, task["id"], tmp_path / "plan")
    index = json.loads((root / "index.json").read_text("utf-8"))
    assert [r["snapshotId"] for r in index["repositories"]] == [exported["lib"]]
    assert index["skipped"] == []
    # Now (the default): lib's newest snapshot and docs, as an ISO time with an offset.
    (now,) = wait_tasks(api, [api.ok("/git/organizations/export", {"id": org.org})["taskId"]])
    assert now["status"] == 1, now["logs"]
    assert now["result"]["repositories"] == 3


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"at": "yesterday"}, "GT1020", "at"),
        ({"at": "2026-13-01T00:00:00Z"}, "GT1020", "at"),
        ({"at": 1_700_000_000}, "GT1020", "at"),  # seconds, not milliseconds
        ({"at": "2999-01-01T00:00:00+02:00"}, "GT1021", "at"),
        ({"at": 32_503_680_000_000}, "GT1021", "at"),
    ],
)
def test_bad_input_is_refused_before_any_task(
    api: Api, runtime: Runtime, body: dict[str, Any], code: str, field: str
) -> None:
    org = api.ok("/git/organizations/add", {"driver": 6, "name": "o"})["id"]
    answer = api.post("/git/organizations/export", {"id": org, **body})
    _problem(answer, 400, code)
    assert field in answer.json()["errors"]
    with runtime.db.session() as session:
        assert session.query(Task).filter(Task.kind == "orgexport").count() == 0


def test_scope_and_nothing_to_export(api: Api, runtime: Runtime) -> None:
    org = api.ok("/git/organizations/add", {"driver": 6, "name": "o"})["id"]
    both = api.post("/git/organizations/export", {"id": org, "planId": org})
    _problem(both, 400, "GT1022")
    assert set(both.json()["errors"]) == {"id", "planId"}
    _problem(api.post("/git/organizations/export", {}), 400, "GT1022")
    missing = "00000000-0000-4000-8000-000000000000"
    _problem(api.post("/git/organizations/export", {"id": missing}), 404, "GT1002")
    _problem(api.post("/git/organizations/export", {"planId": missing}), 404, "PL3001")
    _problem(api.post("/git/organizations/export", {"id": org}), 409, "GT1023")
    plan = api.ok("/plans/creategitplan", {"name": "p", "organizationId": org})["id"]
    _problem(api.post("/git/organizations/export", {"planId": plan}), 409, "GT1023")
    with runtime.db.session() as session:
        assert session.query(Task).filter(Task.kind == "orgexport").count() == 0


def _old_archive(storage: Path, name: str, hours: float) -> Path:
    archive = storage / "exports" / name / f"{name}.tar.gz"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"an archive")
    then = time.time() - hours * 3600
    os.utime(archive, (then, then))
    return archive


def test_archives_expire_after_their_lifetime(
    api: Api, github: FakeGitHub, runtime: Runtime, tmp_path: Path, monkeypatch: Any
) -> None:
    """An archive lives `REPOVAULT_EXPORT_KEEP_HOURS` (24) after its task ended: then no
    link is made for it (410), its links stop working, and the next export or backup to its
    storage deletes it; younger archives stay."""
    assert runtime.settings.export_keep_hours == 24
    backed = github_with_metadata(api, github, tmp_path / "git")
    storage = runtime.settings.data_dir / "storage"
    expired, young = _old_archive(storage, "expired", 25), _old_archive(storage, "young", 23)
    monkeypatch.setattr(export, "_swept", {})
    run(api, backed)  # the backup's retention step sweeps its storage
    assert not expired.exists()
    assert young.is_file()

    task_id = api.ok("/git/organizations/export", {"id": backed.org})["taskId"]
    (task,) = wait_tasks(api, [task_id])
    assert task["status"] == 1, task["logs"]
    url = api.ok("/git/repositories/exportlink", {"taskId": task_id})["url"]
    assert api.client.get(url).status_code == 200
    again = _old_archive(storage, "again", 24.5)
    (task,) = wait_tasks(api, [api.ok("/git/organizations/export", {"id": backed.org})["taskId"]])
    assert not again.exists()  # the next export sweeps too
    assert young.is_file()

    with runtime.db.session(write=True) as session:
        row = session.get(Task, task_id)
        assert row is not None
        row.finished_at -= 24 * 3_600_000 + 1000
    _problem(api.post("/git/repositories/exportlink", {"taskId": task_id}), 410, "GT1014")
    _problem(api.client.get(url), 410, "GT1014")


NOW = 1_795_867_200_000  # 2026-11-28T12:00:00Z


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, NOW),
        (NOW - 5, NOW - 5),
        ("2026-11-28T12:00:00Z", NOW),
        ("2026-11-28T12:00", NOW),  # UTC when it names no offset
        ("2026-11-28 13:00:00+01:00", NOW),
        ("2026-11-28T13:00+0100", NOW),
        ("2026-11-28T11:59:59.5Z", NOW - 500),
        ("2026-11-28", NOW - 12 * 3_600_000),
        (" 2026-11-28T12:00:00Z ", NOW),
    ],
)
def test_at_reads_iso_times_and_milliseconds(given: Any, expected: int) -> None:
    assert parse_at(given, now=NOW) == expected


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("28/11/2026", "GT1020"),
        ("2026-11-28T25:00Z", "GT1020"),
        ("2026-11-28T12:00:00 UTC", "GT1020"),
        ("", "GT1020"),
        (NOW // 1000, "GT1020"),
        ("2026-11-28T12:00:01Z", "GT1021"),
        (NOW + 1, "GT1021"),
    ],
)
def test_at_refuses_what_is_no_time_or_later(given: Any, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_at(given, now=NOW)
    assert refused.value.code == code
    assert "at" in refused.value.errors


def test_a_damaged_snapshot_is_skipped_with_why(
    api: Api, exported: dict[str, Any], runtime: Runtime, tmp_path: Path
) -> None:
    """The newest snapshot by `at` lost its manifest: the repository is left out (an earlier
    snapshot would not be it as it was then), named with the damage; the rest is exported."""
    org: Org = exported["org"]
    storage = runtime.settings.data_dir / "storage"
    prefix = vault_prefix(org.repos["lib"], org.plans["lib"])
    (storage / manifest_key(prefix, exported["lib"])).unlink()
    body = {"id": org.org, "at": exported["at"]}
    (task,) = wait_tasks(api, [api.ok("/git/organizations/export", body)["taskId"]])
    assert task["status"] == 2, task["logs"]
    assert task["result"]["repositories"] == 1
    root = _unpack(api, task["id"], tmp_path / "out")
    index = json.loads((root / "index.json").read_text("utf-8"))
    assert [r["name"] for r in index["repositories"]] == ["acme/app"]
    reasons = {s["name"]: s["reason"] for s in index["skipped"]}
    assert reasons["acme/lib"].startswith("damaged:")
    assert exported["lib"] in reasons["acme/lib"]
    assert "acme/docs" in reasons
    assert not (root / "acme_lib").exists()
