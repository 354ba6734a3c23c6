"""`repovault repos list` shows what the platform says of each repository (fork, archived,
language) and filters on it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from repovault.cli import app
from tests.providers.fake_github import FakeGitHub, repository


def _listed(cli: CliRunner, *args: str) -> list[str]:
    done = cli.invoke(app, ["repos", "list", *args, "--json"])
    assert done.exit_code == 0, done.output
    return sorted(r["name"] for r in json.loads(done.stdout))


def test_repos_list_shows_and_filters_the_facts(
    cli: CliRunner, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_TOKEN", "ghp_x")
    fork = repository(1, "acme/fork")
    fork.update(fork=True, language="Go", topics=["cli"])
    old = repository(2, "acme/old")
    old.update(archived=True, language="HTML")
    github.orgs["acme"] = [fork, old, repository(3, "acme/app")]
    added = cli.invoke(app, ["orgs", "add", "1", "acme", "--token-env", "ACME_TOKEN", "--json"])
    assert added.exit_code == 0, added.output
    org = json.loads(added.stdout)["id"]
    assert cli.invoke(app, ["orgs", "sync", org]).exit_code == 0
    assert cli.invoke(app, ["tasks", "watch"]).exit_code == 0
    assert _listed(cli, org, "--no-forks") == ["acme/app", "acme/old"]
    assert _listed(cli, org, "--no-forks", "--no-archived") == ["acme/app"]
    assert _listed(cli, org, "--archived") == ["acme/old"]
    assert _listed(cli, org, "--topic", "cli") == ["acme/fork"]
    assert _listed(cli, org, "--language", "HTML") == ["acme/old"]
    table = cli.invoke(app, ["repos", "list", org])
    assert table.exit_code == 0, table.output
    cells = {
        row[1]: row
        for row in (
            [cell.strip() for cell in line.split("│")[1:-1]] for line in table.stdout.splitlines()
        )
        if len(row) > 3
    }
    assert cells["acme/fork"][2:4] == ["fork", "Go"]
    assert cells["acme/old"][2:4] == ["archived", "HTML"]
    assert cells["acme/app"][2:4] == ["", ""]
