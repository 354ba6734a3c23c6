"""`repovault repos issues|pulls|releases|issue|pull|release|documents` against a real server
whose plan backed up a repository with metadata through the fake GitHub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from repovault.cli import app
from repovault.client import Client
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.metadata import Backed, ThroughClient, github_with_metadata, run
from tests.providers.fake_github import FakeGitHub


@pytest.fixture
def backed(server_url: str, github: FakeGitHub, tmp_path: Path) -> Backed:
    with Client(server_url) as client:
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        api = ThroughClient(client)
        backed = github_with_metadata(api, github, tmp_path / "git")
        run(api, backed)
    return backed


def _json(cli: CliRunner, *args: str) -> Any:
    done = cli.invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def _text(cli: CliRunner, *args: str) -> str:
    done = cli.invoke(app, list(args))
    assert done.exit_code == 0, done.output
    return done.stdout


def test_lists_of_what_a_snapshot_holds(cli: CliRunner, backed: Backed) -> None:
    repo = backed.repo
    assert [i["number"] for i in _json(cli, "repos", "issues", repo)] == [3, 2, 1]
    assert [i["number"] for i in _json(cli, "repos", "issues", repo, "--label", "bug")] == [3, 1]
    merged = _json(cli, "repos", "pulls", repo, "--state", "merged")
    assert [p["number"] for p in merged] == [4]
    table = _text(cli, "repos", "issues", repo, "--search", "crash")
    assert "Crash on start" in table
    assert "Crash when saving" in table
    assert "dark mode" not in table
    assert "2024-01-01 10:00" in table
    releases = _text(cli, "repos", "releases", repo)
    assert "v1.0" in releases
    assert "example.zip" in releases
    documents = _json(cli, "repos", "documents", repo)
    assert "issues.json" in [d["name"] for d in documents["documents"]]


def test_one_item_with_its_conversation(cli: CliRunner, backed: Backed) -> None:
    issue = _text(cli, "repos", "issue", backed.repo, "1")
    assert issue.startswith("#1 Crash on start\nopen · by alice · 2024-01-01 10:00 · labels: bug")
    assert "Body of issue 1: Crash on start." in issue
    assert "— bob, 2024-01-01 13:00 (comment)\nIt crashes for me too." in issue
    pull = _text(cli, "repos", "pull", backed.repo, "4")
    assert "— dave, 2024-01-05 16:00 (review: APPROVED)\nLooks right." in pull
    assert "(review comment on src/app.py:10)\nCheck for None here." in pull
    stored = _json(cli, "repos", "pull", backed.repo, "4")
    assert stored["item"]["head"]["ref"] == "new-topic"
    release = _text(cli, "repos", "release", backed.repo, "v1.0")
    assert "assets: example.zip" in release
    assert "Description of the release" in release


def test_what_is_not_there_is_exit_code_3(cli: CliRunner, backed: Backed) -> None:
    missing = cli.invoke(app, ["repos", "issue", backed.repo, "99"])
    assert missing.exit_code == 3
    assert "GT1010" in missing.output
    snapshot = cli.invoke(app, ["repos", "issues", backed.repo, "--snapshot", "nope"])
    assert snapshot.exit_code == 3
    assert "GT1009" in snapshot.output
