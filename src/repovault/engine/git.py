"""The git CLI, run as subprocesses; every transfer goes through it.

Credentials never appear in argv, URLs, logs or files: they reach git as an
`http.<origin>/.extraHeader` set through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
`GIT_CONFIG_VALUE_n` environment variables (git >= 2.31), scoped to the origin of the URL
transferred (`Credentials.for_url`): git-lfs sends an unscoped extra header with every
request, to the storage hosts its LFS server names too. Prompts are disabled, so a missing
credential fails fast instead of hanging. Ref names are bytes in git; they are decoded with
`surrogateescape` so that any name survives the round trip through JSON.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from repovault.engine import ssh
from repovault.engine.errors import EngineError
from repovault.engine.ssh import SshKey

ENCODING = "utf-8"
ERRORS = "surrogateescape"


class GitError(EngineError):
    """A git command failed: transient (the network, the server) unless raised permanent."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Cancelled(Exception):
    """The work was canceled; its git processes were killed."""


class CancelScope:
    """The git processes started inside `cancellable(scope)`; `cancel()` (from any thread)
    kills them and makes every later git call raise `Cancelled`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: set[subprocess.Popen[bytes]] = set()
        self._callbacks: list[Callable[[], None]] = []
        self.reason: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.reason is not None

    def check(self) -> None:
        if self.reason is not None:
            raise Cancelled(self.reason)

    def cancel(self, reason: str = "canceled") -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
            processes = list(self._processes)
            callbacks = list(self._callbacks)
        for process in processes:
            kill_group(process)
        for callback in callbacks:
            callback()

    @contextlib.contextmanager
    def on_cancel(self, callback: Callable[[], None]) -> Iterator[None]:
        """Call `callback` if the scope is canceled while the block runs (at once if it
        already is): for work other than git, such as a plan's custom action."""
        with self._lock:
            self._callbacks.append(callback)
            cancelled = self.reason is not None
        if cancelled:
            callback()
        try:
            yield
        finally:
            with self._lock:
                self._callbacks.remove(callback)

    def _add(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.add(process)
            cancelled = self.reason is not None
        if cancelled:
            kill_group(process)

    def _discard(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.discard(process)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill a process started in its own process group, with its children (git's helpers
    such as git-remote-https or index-pack would otherwise hold its pipes open)."""
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)


_scope: contextvars.ContextVar[CancelScope | None] = contextvars.ContextVar(
    "repovault_git_cancel_scope", default=None
)


@contextlib.contextmanager
def cancellable(scope: CancelScope) -> Iterator[CancelScope]:
    """Every git process this thread starts inside the block belongs to `scope`."""
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def check_cancelled() -> None:
    scope = _scope.get()
    if scope is not None:
        scope.check()


@dataclass(frozen=True)
class Credentials:
    """HTTP basic credentials: a username (platform-specific, often any value) and a token;
    and/or an SSH key (`ssh`) for ssh URLs, which `transfer` puts on disk as `ssh_command`."""

    username: str = ""
    password: str = ""
    scope: str | None = None  # `scheme://host[:port]/`: the only origin that gets them
    ssh: SshKey | None = None
    ssh_command: str | None = None  # GIT_SSH_COMMAND, while `transfer` holds the key file

    def for_url(self, url: str) -> Credentials:
        """These credentials for the origin of `url` only (an HTTP(S) URL; others, `file://`
        or ssh, carry no HTTP header anyway)."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return self
        host = parts.netloc.rsplit("@", 1)[-1]
        return replace(self, scope=f"{parts.scheme.lower()}://{host}/")

    def env(self) -> dict[str, str]:
        if self.ssh_command:
            return {"GIT_SSH_COMMAND": self.ssh_command, "GIT_SSH_VARIANT": "ssh"}
        if not self.password:
            return {}
        pair = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"http.{self.scope}.extraHeader"
            if self.scope
            else "http.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {pair}",
        }


def redact(url: str) -> str:
    """The URL without credentials, for logs and manifests (an ssh URL keeps its login
    name, which is no secret and which the server needs)."""
    parts = urlsplit(url)
    if not parts.netloc or "@" not in parts.netloc:
        return url
    user, host = parts.netloc.rsplit("@", 1)
    if ssh.is_ssh_url(url):
        host = f"{user.split(':', 1)[0]}@{host}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def decode(raw: bytes) -> str:
    return raw.decode(ENCODING, ERRORS)


def encode(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS)


def base_env(credentials: Credentials | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_CONFIG_", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX"))
    }
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "/bin/false",
            "SSH_ASKPASS": "/bin/false",
            "GCM_INTERACTIVE": "never",
            "LC_ALL": "C",
            "GIT_LFS_SKIP_SMUDGE": "1",
        }
    )
    if credentials:
        env.update(credentials.env())
    return env


def drain(stream: IO[bytes], into: list[bytes]) -> threading.Thread:
    """Read a subprocess's pipe to its end in a thread, so the process never blocks on it."""
    thread = threading.Thread(target=lambda: into.append(stream.read()), daemon=True)
    thread.start()
    return thread


def git_available() -> bool:
    return shutil.which("git") is not None


def lfs_available() -> bool:
    return subprocess.run(["git", "lfs", "version"], capture_output=True).returncode == 0


class Git:
    """Runs git against one repository folder (or none), with one environment."""

    def __init__(self, git_dir: Path | None = None, credentials: Credentials | None = None) -> None:
        self.git_dir = git_dir
        self.env = base_env(credentials)

    def _argv(self, args: Sequence[str]) -> list[str]:
        prefix = ["git"] + (["--git-dir", str(self.git_dir)] if self.git_dir else [])
        return prefix + list(args)

    def run(
        self,
        args: Sequence[str],
        *,
        input: bytes | None = None,
        cwd: Path | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        process = self.popen(
            args, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL, cwd=cwd
        )
        try:
            stdout, stderr = process.communicate(input)
        finally:
            forget(process)
        check_cancelled()
        if check and process.returncode != 0:
            if refused := ssh.refusal(decode(stderr)):
                raise GitError(refused, permanent=True)
            raise GitError(f"git {args[0]} failed: {_describe(stderr)}")
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def popen(
        self, args: Sequence[str], *, stdin: int | None = None, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start git; within a cancel scope the process is killed when the scope is
        canceled (call `forget` once it has ended)."""
        check_cancelled()
        process = subprocess.Popen(
            self._argv(args),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
            cwd=cwd,
            process_group=0,  # a cancel kills git and its helpers together
        )
        scope = _scope.get()
        if scope is not None:
            scope._add(process)
        return process

    def lines(self, args: Sequence[str], *, input: bytes | None = None) -> list[str]:
        out = self.run(args, input=input).stdout
        return [decode(line) for line in out.split(b"\n") if line]


def forget(process: subprocess.Popen[bytes]) -> None:
    """The process ended: its cancel scope no longer needs to kill it."""
    scope = _scope.get()
    if scope is not None:
        scope._discard(process)


CREDENTIAL_IN_TEXT = re.compile(r"(https?://)[^/@\s]+@")


def _describe(stderr: bytes) -> str:
    text = decode(stderr).strip().splitlines()
    message = " / ".join(line for line in text[-3:] if line) or "no message"
    return CREDENTIAL_IN_TEXT.sub(r"\1", message)


@dataclass(frozen=True)
class RemoteState:
    head: str | None  # the symbolic target ("refs/heads/main") or a detached object id
    refs: dict[str, str]


def scoped(credentials: Credentials | None, url: str) -> Credentials | None:
    """`credentials` for `url`'s origin only (see `Credentials.for_url`)."""
    return credentials.for_url(url) if credentials is not None else None


@contextlib.contextmanager
def transfer(credentials: Credentials | None, url: str) -> Iterator[tuple[str, Credentials | None]]:
    """(the URL to transfer, the credentials for it) for the block: over SSH with the
    organization's key when it has one and the URL is ssh (or an https one it converts,
    `ssh.over_ssh`), the key file removed when the block ends; else `scoped`."""
    key = credentials.ssh if credentials is not None else None
    target = ssh.over_ssh(url, key) if key is not None else None
    if key is None or target is None:
        http = replace(credentials, ssh=None) if credentials is not None else None
        yield url, scoped(http, url)
        return
    with ssh.identity(key) as command:
        yield target, Credentials(ssh_command=command)


def ls_remote(url: str, credentials: Credentials | None) -> RemoteState:
    """Every ref of the remote and HEAD's target, in one round trip."""
    lines = Git(credentials=scoped(credentials, url)).lines(["ls-remote", "--symref", "--", url])
    head: str | None = None
    head_id: str | None = None
    refs: dict[str, str] = {}
    for line in lines:
        value, _, name = line.partition("\t")
        if value.startswith("ref: ") and name == "HEAD":
            head = value[len("ref: ") :]
        elif name == "HEAD":
            head_id = value
        elif not name.endswith("^{}"):
            refs[name] = value
    return RemoteState(head=head or head_id, refs=refs)


def local_refs(git: Git) -> dict[str, str]:
    out = git.run(["for-each-ref", "--format=%(objectname) %(refname)"]).stdout
    refs = {}
    for line in out.split(b"\n"):
        if line:
            object_id, _, name = line.partition(b" ")
            refs[decode(name)] = decode(object_id)
    return refs


def head_target(git: Git) -> str | None:
    result = git.run(["symbolic-ref", "-q", "HEAD"], check=False)
    if result.returncode == 0:
        return decode(result.stdout.strip())
    detached = git.run(["rev-parse", "-q", "--verify", "HEAD"], check=False)
    return decode(detached.stdout.strip()) if detached.returncode == 0 else None


def existing(git: Git, object_ids: Iterable[str]) -> list[str]:
    """The ids among `object_ids` that the repository has."""
    wanted = sorted(set(object_ids))
    if not wanted:
        return []
    out = git.run(
        ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
        input=("\n".join(wanted) + "\n").encode(),
    ).stdout
    return [line.split()[0] for line in decode(out).splitlines() if not line.endswith("missing")]


def set_refs(git: Git, refs: dict[str, str], head: str | None) -> None:
    """Make the repository's refs exactly `refs`, and HEAD point where it pointed."""
    current = local_refs(git)
    commands = [f"delete {name}\0\0" for name in current if name not in refs]
    commands += [f"update {name}\0{oid}\0\0" for name, oid in refs.items()]
    if commands:
        git.run(["update-ref", "--stdin", "-z"], input=encode("".join(commands)))
    if head and head.startswith("refs/"):
        git.run(["symbolic-ref", "HEAD", head])
    elif head:
        git.run(["update-ref", "--no-deref", "HEAD", head])
