"""`repovault` in remote mode against a real server: login, tables, --json, exit codes."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repovault.cli import app
from repovault.cli.remote import config_path
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL
from tests.e2e.flow import make_sources, refs_and_objects


def _json(cli: CliRunner, *args: str) -> object:
    done = cli.invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_login_keeps_the_token_private(cli: CliRunner) -> None:
    path = config_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "accessToken" not in path.read_text()
    assert json.loads(path.read_text())["token"]
    done = cli.invoke(app, ["logout"])
    assert done.exit_code == 0
    assert not path.exists()
    assert cli.invoke(app, ["orgs", "list"]).exit_code == 4  # not logged in


def test_a_plan_from_the_terminal(cli: CliRunner, tmp_path: Path) -> None:
    sources = make_sources(tmp_path / "git", ("app",))
    org = _json(cli, "orgs", "add", "6", "local", "--api-url", (tmp_path / "git").as_uri())
    assert isinstance(org, dict)
    sync = cli.invoke(app, ["orgs", "sync", org["id"]])
    assert sync.exit_code == 0, sync.output
    watched = cli.invoke(app, ["tasks", "watch"])
    assert watched.exit_code == 0, watched.output
    repos = _json(cli, "repos", "list", org["id"])
    assert isinstance(repos, list)
    (repo,) = repos
    assert cli.invoke(app, ["repos", "activate", repo["id"]]).exit_code == 0
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(
        json.dumps({"name": "nightly", "organizationId": org["id"], "gitChoiceMode": 1})
    )
    plan = _json(cli, "plans", "create", "--file", str(plan_file))
    assert isinstance(plan, dict)
    run = cli.invoke(app, ["plans", "run", plan["id"], "--wait"])
    assert run.exit_code == 0, run.output
    assert "1 of 1 task(s) succeeded" in run.output
    table = cli.invoke(app, ["repos", "list", org["id"]])
    assert "team/app" in table.stdout
    assert "succeeded" in table.stdout
    snapshots = _json(cli, "repos", "snapshots", repo["id"])
    assert isinstance(snapshots, list)
    assert len(snapshots) == 1
    target = tmp_path / "restored.git"
    restored = cli.invoke(app, ["repos", "restore", repo["id"], "--to", str(target)])
    assert restored.exit_code == 0, restored.output
    assert refs_and_objects(target) == refs_and_objects(sources["team/app"])
    tasks = _json(cli, "tasks", "list", "--kind", "backup")
    assert isinstance(tasks, list)  # a bare list, as every list command's --json
    assert len(tasks) == 1
    log = cli.invoke(app, ["tasks", "get", tasks[0]["id"]])
    assert "written: full" in log.stdout
    assert "embedded" in cli.invoke(app, ["workers", "list"]).stdout
    # --json: JSON Lines events naming the repository, the last one the outcome.
    again = cli.invoke(app, ["plans", "run", "nightly", "--json"])
    assert again.exit_code == 0, again.output
    events = [json.loads(line) for line in again.stdout.splitlines()]
    assert events[-1] == {"event": "done", "succeeded": 1, "total": 1, "failedIds": []}
    ended = events[-2]
    assert (ended["event"], ended["repository"], ended["status"]) == (
        "ended",
        "team/app",
        "succeeded",
    )
    watched_json = cli.invoke(app, ["tasks", "watch", ended["id"], "--json"])
    assert [json.loads(line)["event"] for line in watched_json.stdout.splitlines()] == [
        "ended",
        "done",
    ]


def test_exit_codes_scripts_rely_on(cli: CliRunner, tmp_path: Path) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    gone = cli.invoke(app, ["plans", "get", missing])
    assert gone.exit_code == 3
    assert "PL3001" in gone.output
    folder = tmp_path.as_uri()
    org = _json(cli, "orgs", "add", "git", "dup", "--api-url", folder)
    assert isinstance(org, dict)
    assert cli.invoke(app, ["orgs", "add", "6", "dup", "--api-url", folder]).exit_code == 5
    assert cli.invoke(app, ["orgs", "modify", org["id"], "--name", "renamed"]).exit_code == 0
    listed = _json(cli, "orgs", "list")
    assert isinstance(listed, list)
    assert [o["name"] for o in listed] == ["renamed"]
    assert ADMIN_EMAIL in cli.invoke(app, ["whoami"]).stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "", "organizationId": org["id"]}))
    refused = cli.invoke(app, ["plans", "create", "--file", str(bad)])
    assert refused.exit_code == 1
    assert "name" in refused.output
    assert cli.invoke(app, ["repos", "restore", missing]).exit_code == 2  # neither --to nor --push


def test_orgs_add_refuses_what_cannot_work(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UNSET_TOKEN", raising=False)
    unset = cli.invoke(app, ["orgs", "add", "1", "acme", "--token-env", "UNSET_TOKEN"])
    assert unset.exit_code == 2
    assert "--token-env UNSET_TOKEN: that variable is not set" in unset.output
    half = cli.invoke(app, ["orgs", "add", "github", "acme", "--app-id", "5"])
    assert half.exit_code == 2
    assert "--installation-id and --app-key" in half.output
    # A plain Git organization lists nothing without a folder or server to read.
    no_url = cli.invoke(app, ["orgs", "add", "git", "plain"])
    assert no_url.exit_code == 2
    assert "needs --api-url" in no_url.output
    (tmp_path / "t").write_text("x")
    monkeypatch.setenv("SOME_TOKEN", "x")
    both = cli.invoke(
        app,
        [
            "orgs",
            "add",
            "1",
            "acme",
            "--token-env",
            "SOME_TOKEN",
            "--token-file",
            str(tmp_path / "t"),
        ],
    )
    assert both.exit_code == 2
    # A token file the server can read: the organization is added with it.
    listed = _json(
        cli,
        "orgs",
        "add",
        "git",
        "from-file",
        "--token-file",
        str(tmp_path / "t"),
        "--api-url",
        tmp_path.as_uri(),
    )
    assert isinstance(listed, dict)


def test_orgs_add_over_ssh(cli: CliRunner, tmp_path: Path, runtime: Runtime) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    host_key = (tmp_path / "id_ed25519.pub").read_text().split()[:2]
    (tmp_path / "known_hosts").write_text(f"git.example.org {' '.join(host_key)}\n")
    (tmp_path / "git").mkdir()
    added = _json(
        cli,
        "orgs",
        "add",
        "git",
        "over-ssh",
        "--api-url",
        (tmp_path / "git").as_uri(),
        "--ssh-key",
        str(key),
        "--known-hosts",
        str(tmp_path / "known_hosts"),
    )
    assert isinstance(added, dict)
    with runtime.db.engine.connect() as conn:
        sealed, hosts = conn.exec_driver_sql(
            "SELECT ssh_key_sealed, ssh_known_hosts FROM organizations WHERE name = 'over-ssh'"
        ).one()
    assert sealed
    assert "PRIVATE KEY" not in sealed
    assert "git.example.org" in hosts
    missing = cli.invoke(
        app, ["orgs", "add", "git", "x", "--api-url", "file:///x", "--ssh-key", "/nope"]
    )
    assert missing.exit_code == 2
    assert "--ssh-key /nope" in missing.output
