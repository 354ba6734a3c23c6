"""Every command says what it did; destructive ones ask first unless `--yes`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from repovault.cli import app


def _names(cli: CliRunner) -> list[str]:
    done = cli.invoke(app, ["orgs", "list", "--json"])
    assert done.exit_code == 0, done.output
    return [org["name"] for org in json.loads(done.stdout)]


def test_destructive_commands_ask_and_say_what_they_did(cli: CliRunner, tmp_path: Path) -> None:
    for name in ("keep", "drop"):
        assert (
            cli.invoke(app, ["orgs", "add", "6", name, "--api-url", tmp_path.as_uri()]).exit_code
            == 0
        )
    declined = cli.invoke(app, ["orgs", "remove", "drop"], input="n\n")
    assert declined.exit_code == 2
    assert "Remove organization" in declined.output
    assert "give --yes" in declined.output
    no_terminal = cli.invoke(app, ["orgs", "remove", "drop"])  # nothing to answer with
    assert no_terminal.exit_code == 2
    assert sorted(_names(cli)) == ["drop", "keep"]
    answered = cli.invoke(app, ["orgs", "remove", "drop"], input="y\n")
    assert answered.exit_code == 0, answered.output
    assert "removed" in answered.output
    modified = cli.invoke(app, ["orgs", "modify", "keep", "--name", "kept"])
    assert "changed" in modified.output
    source = tmp_path / "app.git"
    source.mkdir()
    added = cli.invoke(app, ["repos", "add", "kept", source.as_uri()])
    assert added.exit_code == 0, added.output
    repository = added.stdout.strip()
    activated = cli.invoke(app, ["repos", "activate", repository])
    assert activated.exit_code == 0, activated.output
    assert "1 of 1 repository(ies) activated" in activated.output
    kept = cli.invoke(app, ["repos", "deactivate", repository], input="n\n")
    assert kept.exit_code == 2
    gone = cli.invoke(app, ["repos", "deactivate", repository, "--yes"])
    assert gone.exit_code == 0, gone.output
    assert "1 of 1 repository(ies) deactivated" in gone.output
    removed = cli.invoke(app, ["repos", "remove", repository, "-y", "--json"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.stdout)["succeededIds"] == [repository]
    assert cli.invoke(app, ["orgs", "remove", "kept", "--yes"]).exit_code == 0
    assert _names(cli) == []
