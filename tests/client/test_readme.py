"""The README's first steps run as written against a live server: the shell block after
`<!-- readme-test: first-steps -->`, in bash with `-e`, its `repovault` the one installed
beside this Python, `curl` and `jq` from the system."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.flow import make_sources

README = Path(__file__).resolve().parents[2] / "README.md"


def block(name: str) -> str:
    """The code block after the marker `name`."""
    found = re.search(
        rf"<!-- readme-test: {re.escape(name)} -->\n```sh\n(.*?)\n```", README.read_text(), re.S
    )
    assert found, f"README.md has no block marked {name}"
    return found.group(1)


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq")), reason="curl and jq are needed"
)
def test_the_first_steps_run_as_written(server_url: str, tmp_path: Path) -> None:
    make_sources(tmp_path / "git", ("app", "lib"))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SERVER": server_url,
        "REPOVAULT_ADMIN_EMAIL": ADMIN_EMAIL,
        "REPOVAULT_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "GIT_FOLDER": str(tmp_path / "git"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "COLUMNS": "200",
    }
    env.pop("REPOVAULT_SERVER", None)
    env.pop("REPOVAULT_TOKEN", None)
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block("first-steps")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 task(s) succeeded" in done.stdout + done.stderr
    assert "team/app" in done.stdout
    assert "team/lib" in done.stdout
