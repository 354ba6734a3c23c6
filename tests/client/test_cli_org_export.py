"""`repovault orgs export` against a real server (issue 12 §2): ONE archive of the
organization queued through the Python client, waited for, downloaded and checked;
unpacked, it holds the README, index.json and a folder per repository that git clones."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repovault.cli import app
from repovault.client import BadRequest, Client
from tests.client.test_cli_contents import backed
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.metadata import Backed

__all__ = ["backed"]


def test_orgs_export_downloads_one_archive(
    cli: CliRunner, backed: Backed, server_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "acme.tar.gz"
    done = cli.invoke(app, ["orgs", "export", backed.org, "--output", str(target)])
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == str(target)
    with tarfile.open(target, "r:gz") as tar:
        tar.extractall(tmp_path / "out", filter="data")
    (root,) = (tmp_path / "out").iterdir()
    index = json.loads((root / "index.json").read_text("utf-8"))
    assert [r["folder"] for r in index["repositories"]] == ["acme_app"]
    subprocess.run(
        ["git", "clone", "-q", str(root / "acme_app" / "repository.git"), str(tmp_path / "c")],
        check=True,
    )
    assert (root / "acme_app" / "metadata" / "issues.json").is_file()

    # A plan's export into a folder, through the client's call; then the CLI's checks.
    by_plan = cli.invoke(app, ["orgs", "export", backed.org, "--plan", backed.plan, "--no-wait"])
    assert by_plan.exit_code == 0, by_plan.output
    with Client(server_url) as client:
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        (task,) = client.wait_for_tasks([by_plan.stdout.strip()], interval=0.2)
        assert task["status"] == 1, task["logs"]
        assert task["result"]["repositories"] == 1
        with pytest.raises(BadRequest) as future:
            client.export_organization(backed.org, at="2999-01-01T00:00:00Z")
        assert future.value.code == "GT1021"
    other = client_org(server_url)
    wrong = cli.invoke(app, ["orgs", "export", other, "--plan", backed.plan])
    assert wrong.exit_code == 2, wrong.output
    assert cli.invoke(app, ["orgs", "export", backed.org, "--at", "yesterday"]).exit_code == 2


def client_org(server_url: str) -> str:
    """Another organization (a plain Git one, with nothing backed up)."""
    with Client(server_url) as client:
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        org: str = client.add_organization(6, "elsewhere")["id"]
        return org
