"""A real OpenSSH server for the tests, on 127.0.0.1 and a free port, with a host key, an
authorized key and a pid file of its own in a temporary folder; it serves the machine's git
(`git-upload-pack`, `git-receive-pack`) to the current user. Tests that need it are skipped,
saying why, when `/usr/sbin/sshd` is missing (Debian: `apt-get install openssh-server`) or
will not start."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")


def keygen(path: Path, *, kind: str = "ed25519", passphrase: str = "") -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", "repovault-test", "-f", str(path)],
        check=True,
    )
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Sshd:
    folder: Path
    port: int
    user: str
    client_key: str  # the private key the server accepts (OpenSSH format)
    process: subprocess.Popen[bytes] | None = None
    generation: int = 0

    @property
    def host_key(self) -> Path:
        return self.folder / f"host-{self.generation}"

    def known_hosts(self) -> str:
        """The known_hosts line of the key the server presents now."""
        public = (self.folder / f"host-{self.generation}.pub").read_text().split()
        return f"[127.0.0.1]:{self.port} {public[0]} {public[1]}\n"

    def url(self, path: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        config = self.folder / "sshd_config"
        config.write_text(
            f"ListenAddress 127.0.0.1\nHostKey {self.host_key}\n"
            f"PidFile {self.folder / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.folder / 'authorized_keys'}\n"
            "StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "UsePAM no\nPermitRootLogin prohibit-password\nLogLevel ERROR\n"
        )
        with (self.folder / "sshd.log").open("ab") as log_file:
            self.process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(config), "-p", str(self.port)],
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
        deadline = time.monotonic() + 10
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.folder / "sshd.log").read_text(errors="replace")
                self.stop()
                pytest.skip(f"sshd did not start: {log.strip()[-500:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def new_host_key(self) -> None:
        """The server restarts presenting another host key (a reinstalled or spoofed host)."""
        self.stop()
        self.generation += 1
        keygen(self.host_key)
        self.start()


def serve(folder: Path) -> Iterator[Sshd]:
    """Start an sshd in `folder`; stop it after."""
    if not SSHD.is_file():
        pytest.skip(f"{SSHD} is missing (Debian: apt-get install openssh-server)")
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # its privilege separation folder
    folder.mkdir(parents=True, exist_ok=True)
    client = keygen(folder / "client")
    (folder / "authorized_keys").write_text((folder / "client.pub").read_text())
    server = Sshd(folder, _free_port(), getpass.getuser(), client.read_text())
    keygen(server.host_key)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    yield from serve(tmp_path / "sshd")
