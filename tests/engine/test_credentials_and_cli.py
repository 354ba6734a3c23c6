"""Credentials reach git only through the environment; restore by push; metadata documents;
and the command line, with the exit codes scripts rely on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner

from bench.githttp import GitHttpServer
from repovault.backends.local import LocalBackend
from repovault.cli import app
from repovault.engine import git as g
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.layout import wiki_prefix
from repovault.engine.restore import read_document, restore_to_directory, restore_to_url
from repovault.engine.vault import Vault
from tests.engine.repos import commit, state, tricky_repository

TOKEN = "ghp_s3cr3t-token-that-must-not-leak"


def test_token_never_in_argv_files_or_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served = tmp_path / "served"
    served.mkdir()
    source = tricky_repository(tmp_path / "work")
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(served / "p.git")], check=True)
    argvs: list[list[str]] = []
    original = g.Git._argv

    def recording(self: g.Git, args: Any) -> list[str]:
        argv = original(self, args)
        argvs.append(argv)
        return argv

    monkeypatch.setattr(g.Git, "_argv", recording)
    vault = Vault(LocalBackend(tmp_path / "store"), "p/")
    with (
        structlog.testing.capture_logs() as logs,
        GitHttpServer(served, credentials=("bot", TOKEN)) as server,
    ):
        url = server.url("p.git")
        with pytest.raises(g.GitError) as refused:  # no credentials: a clear failure, no prompt
            backup(url=url, vault=vault, cache=tmp_path / "nocreds")
        assert TOKEN not in str(refused.value)
        credentials = g.Credentials("bot", TOKEN)
        first = backup(url=url, vault=vault, cache=tmp_path / "cache", credentials=credentials)
        commit(source, "more", {"x": b"y"})
        subprocess.run(
            ["git", "-C", str(source), "push", "-q", str(served / "p.git"), "--all"], check=True
        )
        second = backup(url=url, vault=vault, cache=tmp_path / "cache", credentials=credentials)
        assert server.seen_authorizations
    assert first.created
    assert second.created
    assert second.snapshot is not None
    assert second.snapshot.kind == "incremental"
    assert all(TOKEN not in " ".join(argv) for argv in argvs)
    assert TOKEN not in json.dumps(logs)
    for path in [*(tmp_path / "cache").rglob("*"), *(tmp_path / "store").rglob("*")]:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_restore_by_push_and_metadata_documents(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    vault = Vault(LocalBackend(tmp_path / "store"), "r/", password="pw")
    on_disk = tmp_path / "pulls.json"
    on_disk.write_bytes(b'[{"number": 2}]')
    documents: dict[str, bytes | Path] = {
        "issues.json": b'[{"number": 1, "title": "Bug"}]',
        "releases.json": b"[]",
        "pulls.json": on_disk,
    }
    result = backup(
        url=f"file://{source}",
        vault=vault,
        cache=tmp_path / "cache",
        options=BackupOptions(metadata=documents),
    )
    assert result.snapshot is not None
    assert result.snapshot.content.metadata == sorted(documents)
    assert read_document(vault, result.snapshot.id, "issues.json") == documents["issues.json"]
    assert read_document(vault, result.snapshot.id, "pulls.json") == b'[{"number": 2}]'
    target = tmp_path / "target.git"
    subprocess.run(["git", "init", "-q", "--bare", str(target)], check=True)
    pushed = restore_to_url(vault, f"file://{target}")
    assert pushed.warnings == [
        "a push cannot set the target's default branch: set it to refs/heads/développement there"
    ]
    refs, _, objects = state(target)
    assert refs == state(source)[0]
    assert objects == state(source)[2]


def test_wiki_is_a_repository_of_its_own_beside_the_main_one(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    wiki = tmp_path / "wiki"
    subprocess.run(["git", "init", "-q", "-b", "master", str(wiki)], check=True)
    commit(wiki, "home", {"Home.md": b"# Wiki\n"})
    storage = LocalBackend(tmp_path / "store")
    main, pages = Vault(storage, "r/"), Vault(storage, wiki_prefix("r/"))
    backup(url=f"file://{source}", vault=main, cache=tmp_path / "c1")
    backup(url=f"file://{wiki}", vault=pages, cache=tmp_path / "c2")
    assert len(main.manifests()) == 1
    assert len(pages.manifests()) == 1
    restored = tmp_path / "wiki-restored"
    restore_to_directory(pages, restored, bare=False)
    assert (restored / "Home.md").read_bytes() == b"# Wiki\n"


def test_lfs_repository_without_git_lfs_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source"
    subprocess.run(["git", "init", "-q", "-b", "main", str(source)], check=True)
    commit(source, "lfs", {".gitattributes": b"*.bin filter=lfs diff=lfs merge=lfs -text\n"})
    monkeypatch.setattr(g, "lfs_available", lambda: False)
    vault = Vault(LocalBackend(tmp_path / "store"), "r/")
    with pytest.raises(g.GitError, match="git-lfs is not installed"):
        backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache")
    assert vault.manifests() == {}
    skipped = backup(
        url=f"file://{source}",
        vault=vault,
        cache=tmp_path / "cache",
        options=BackupOptions(lfs="never"),
    )
    assert skipped.created


def test_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tricky_repository(tmp_path / "source")
    url = f"file://{source}"
    store = str(tmp_path / "store")
    monkeypatch.setenv("REPOVAULT_PASSWORD", "cli pass")
    monkeypatch.setenv("REPOVAULT_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args))

    first = run("backup", url, "--storage", store, "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["created"] is True
    assert summary["kind"] == "full"
    again = run("backup", url, "--storage", store, "--json")
    assert json.loads(again.stdout.strip().splitlines()[-1])["created"] is False
    listed = run("snapshots", url, "--storage", store, "--json")
    assert [s["id"] for s in json.loads(listed.stdout)] == [summary["snapshot"]]
    assert run("verify", url, "--storage", store).exit_code == 0
    restored = run("restore", url, "--storage", store, "--to", str(tmp_path / "out.git"))
    assert restored.exit_code == 0, restored.output
    assert state(tmp_path / "out.git")[0] == state(source)[0]
    assert run("restore", url, "--storage", store).exit_code != 0  # no target given
    assert run("prune", url, "--storage", store, "--keep-last", "1").exit_code == 0

    monkeypatch.setenv("REPOVAULT_PASSWORD", "wrong")
    wrong = run("verify", url, "--storage", store)
    assert wrong.exit_code == 1
    assert "wrong password" in wrong.output
    monkeypatch.setenv("REPOVAULT_PASSWORD", "cli pass")
    bundle = next((tmp_path / "store").rglob("bundle"))
    bundle.write_bytes(bundle.read_bytes()[:-10])
    damaged = run("verify", url, "--storage", store, "--json")
    assert damaged.exit_code == 1
    assert json.loads(damaged.stdout)["problems"]


def test_command_line_restore_of_a_damaged_newest_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --allow-earlier the CLI names the damaged snapshot and exits non-zero; with it,
    it restores the snapshot before and says so."""
    source = tricky_repository(tmp_path / "source")
    url = f"file://{source}"
    store = str(tmp_path / "store")
    monkeypatch.setenv("REPOVAULT_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args))

    ids = []
    for force in ("--no-force", "--force"):
        backed = run("backup", url, "--storage", store, force, "--json")
        assert backed.exit_code == 0, backed.output
        ids.append(json.loads(backed.stdout.strip().splitlines()[-1])["snapshot"])
    next((tmp_path / "store").rglob(f"{ids[1]}/manifest.json")).unlink()

    refused = run("restore", url, "--storage", store, "--to", str(tmp_path / "a.git"))
    assert refused.exit_code == 1, refused.output
    assert ids[1] in refused.output
    assert "manifest.json is missing" in refused.output
    assert not (tmp_path / "a.git").exists()
    earlier = run(
        "restore", url, "--storage", store, "--to", str(tmp_path / "b.git"), "--allow-earlier"
    )
    assert earlier.exit_code == 0, earlier.output
    assert f"restored snapshot {ids[0]}" in earlier.output
    assert ids[1] in earlier.output  # the warning names the damaged one
