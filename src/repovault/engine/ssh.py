"""Git over SSH with an organization's private key.

The key reaches ssh as a file written for one transfer only (`identity`): 0600 in a 0700
temporary folder, removed when the transfer ends, failed or canceled. ssh runs with no
configuration of its own (`-F /dev/null`), that key only, no prompt, and the host keys the
organization trusts: the `knownHosts` lines it gave (pinned: any other key is refused), and/or
its own known_hosts file in the data folder where `accept-new` records a host's key on first
use (later changes are refused). `ssh_url` is the one rule that turns a platform's https clone
URL into its SSH form.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from repovault.backends.local import process_alive

SSH_SCHEMES = ("ssh", "git+ssh", "ssh+git")


@dataclass(frozen=True)
class SshKey:
    """An organization's SSH identity and the host keys it trusts."""

    private_key: str  # OpenSSH or PEM, unencrypted
    known_hosts: str = ""  # pinned lines, known_hosts format
    accept_new: bool = False  # record unknown hosts' keys on first use (in `pin_file`)
    convert: bool = False  # the platform's https clone URLs go over SSH (`ssh_url`)
    owner: str = ""  # the organization's id: names its pin file
    pin_file: Path | None = None  # where `accept_new` records keys (set by the worker)

    def __repr__(self) -> str:  # never the key, in a log or a traceback
        return f"SshKey(owner={self.owner!r}, accept_new={self.accept_new})"


def is_ssh_url(url: str) -> bool:
    """`ssh://…` (and git's aliases) or the scp-like `user@host:path`."""
    scheme, sep, _rest = url.partition("://")
    if sep:
        return scheme.lower() in SSH_SCHEMES
    head = url.split("/", 1)[0]
    return ":" in head and not url.startswith(("/", "."))


def ssh_url(url: str) -> str | None:
    """The SSH form of a platform's http(s) clone URL, `git@host:path` (None for others).

    GitHub, GitLab and Gitea/Forgejo serve `https://host/owner/name.git` over SSH as
    `git@host:owner/name.git` on port 22. The https port and nothing else carries over:
    an SSH server on another port, or a path prefix that SSH does not have, needs the
    repository's own ssh URL (a Git, driver 6, organization)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    path = parts.path.lstrip("/")
    if not path:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"git@{host}:{path}"


def over_ssh(url: str, key: SshKey) -> str | None:
    """The URL to transfer `url` with over SSH using `key`, or None when it is not for SSH."""
    if is_ssh_url(url):
        return url
    return ssh_url(url) if key.convert else None


def _private_file(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def _pin_file(path: Path) -> Path:
    """The organization's accept-new file: 0600 in a 0700 folder, created empty."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    os.chmod(path, 0o600)
    return path


def _option_paths(paths: list[Path]) -> str:
    return " ".join(f'"{p}"' if re.search(r"\s", str(p)) else str(p) for p in paths)


def sweep_orphans() -> None:
    """Remove the key folders of processes that died mid-transfer (killed: no `finally`)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        pid = folder.name.removeprefix(PREFIX).split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


PREFIX = "repovault-ssh-"


@contextlib.contextmanager
def identity(key: SshKey) -> Iterator[str]:
    """The key on disk for the block; yields the GIT_SSH_COMMAND that uses it."""
    sweep_orphans()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))  # 0700
    try:
        key_file = folder / "id"
        text = key.private_key.replace("\r\n", "\n").strip() + "\n"
        _private_file(key_file, text)
        trusted: list[Path] = []
        if key.accept_new:
            if key.pin_file is None:
                raise ValueError("accept-new needs the organization's known_hosts file")
            trusted.append(_pin_file(key.pin_file))  # first: ssh records new keys there
        pinned = folder / "known_hosts"
        _private_file(pinned, key.known_hosts.strip() + "\n" if key.known_hosts.strip() else "")
        trusted.append(pinned)
        argv = [
            "ssh",
            "-F",
            "/dev/null",
            "-i",
            str(key_file),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            f"UserKnownHostsFile={_option_paths(trusted)}",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            f"StrictHostKeyChecking={'accept-new' if key.accept_new else 'yes'}",
            "-o",
            "ConnectTimeout=30",
        ]
        yield " ".join(shlex.quote(arg) for arg in argv)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_CHANGED = re.compile(r"host key for (\S+) has changed", re.IGNORECASE)
_UNKNOWN = re.compile(r"host key is known for (\S+) and", re.IGNORECASE)


def refusal(stderr: str) -> str | None:
    """A clear message when ssh refused the server's host key (None for other failures)."""
    if changed := _CHANGED.search(stderr):
        return (
            f"the SSH host key of {changed.group(1)} has changed: it is not the key pinned "
            "for this organization (its knownHosts, or the key accepted on first use); "
            "refused. If the change is expected, give the new key in the organization's "
            "knownHosts"
        )
    if unknown := _UNKNOWN.search(stderr):
        return (
            f"the SSH host key of {unknown.group(1)} is not in the organization's knownHosts; "
            "refused (add the host's key to knownHosts, or set acceptNewHostKey)"
        )
    if "Host key verification failed" in stderr:
        return "the SSH server's host key was refused (host key verification failed)"
    return None
