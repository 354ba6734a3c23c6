"""A real server (uvicorn on a free port, in a thread) for the client and CLI tests, and the
CLI logged in to it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from repovault.app import create_app, server_config
from repovault.cli import app
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture
def server_url(runtime: Runtime) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = server_config(
        create_app(runtime=runtime), runtime.settings, host="127.0.0.1", port=port, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        assert time.monotonic() < deadline, "the server did not start in time"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(20)


@pytest.fixture
def cli(server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPOVAULT_SERVER", raising=False)
    monkeypatch.delenv("REPOVAULT_TOKEN", raising=False)
    monkeypatch.setenv("ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("COLUMNS", "250")  # tables keep whole ids
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "login",
            "--server",
            server_url,
            "--email",
            ADMIN_EMAIL,
            "--password-env",
            "ADMIN_PASSWORD",
        ],
    )
    assert done.exit_code == 0, done.output
    return runner
