"""`repovault repos export` against a real server (issue 12 §2): the archive queued, waited
for, downloaded through its signed link and checked; unpacked, it is a repository git
clones and the snapshot's metadata as JSON. The clients' `download` refuses an altered link."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repovault.cli import app
from repovault.client import Client, Forbidden
from tests.client.test_cli_contents import backed
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.metadata import Backed

__all__ = ["backed"]


def test_export_downloads_a_usable_archive(
    cli: CliRunner, backed: Backed, server_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "app.tar.gz"
    done = cli.invoke(app, ["repos", "export", backed.repo, "--output", str(target)])
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == str(target)
    with tarfile.open(target, "r:gz") as tar:
        tar.extractall(tmp_path / "out", filter="data")
    (root,) = (tmp_path / "out").iterdir()
    subprocess.run(
        ["git", "clone", "-q", str(root / "repository.git"), str(tmp_path / "c")], check=True
    )
    issues = json.loads((root / "metadata" / "issues.json").read_text("utf-8"))
    assert sorted(i["number"] for i in issues if "pull_request" not in i)[:3] == [1, 2, 3]

    # No wait: the task id; then `--task` downloads that finished export into a folder.
    queued = cli.invoke(app, ["repos", "export", backed.repo, "--no-wait"])
    assert queued.exit_code == 0, queued.output
    task_id = queued.stdout.strip()
    with Client(server_url) as client:
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        (task,) = client.wait_for_tasks([task_id], interval=0.2)
        assert task["status"] == 1
        link = client.export_link(task_id)
        with pytest.raises(Forbidden):
            client.download(link["url"].replace("signature=", "signature=0"), tmp_path / "x")
    folder = tmp_path / "into"
    folder.mkdir()
    again = cli.invoke(app, ["repos", "export", backed.repo, "--task", task_id, "-o", str(folder)])
    assert again.exit_code == 0, again.output
    assert (folder / link["fileName"]).stat().st_size == link["sizeBytes"]


def test_export_many_downloads_one_archive_per_repository(
    cli: CliRunner, backed: Backed, tmp_path: Path
) -> None:
    folder = tmp_path / "all"
    args = ["repos", "export-many", "--org", backed.org, "--at", "2999-01-01T00:00", "-o"]
    done = cli.invoke(app, [*args, str(folder)])
    assert done.exit_code == 0, done.output
    (archive,) = folder.iterdir()
    assert archive.name.startswith("acme_app-")
    assert done.stdout.strip() == str(archive)
    too_early = cli.invoke(
        app, ["repos", "export-many", "--plan", backed.plan, "--at", "2000-01-01"]
    )
    assert too_early.exit_code == 6, too_early.output
    assert cli.invoke(app, ["repos", "export-many"]).exit_code == 2
    assert cli.invoke(app, ["repos", "export", backed.repo, "--at", "yesterday"]).exit_code == 2
