"""The server's own worker in a child process (`REPOVAULT_WORKER_MODE=process`, the default).

The API, the scheduler, the reconciler and the dispatch stay in the server process; the
worker (its Dramatiq threads, the backups, their heartbeats and logs) runs in a child
started with `python -m repovault.runner.child FD`, so the two never wait for one GIL.

    server (coordinator)                      child (worker `embedded`)
      dispatch -> {"task": id}  ----link---->  its own in-process Dramatiq queue
                                               a task ended: the child's own dispatch pass
                                               sends its plan's next tasks (as any worker's)
      the task loop wakes       <---link-----  {"wake": true}   (a retry is due later)
      wakes the loop, resends   <---link-----  {"ready": worker id}

The link is a Unix socket pair carrying JSON lines; the first line gives the child the
server's settings and log level. With a real broker (RabbitMQ, Redis) the child consumes its
queue there and the link carries only the rest.

The child dies with the server: the link reaches end-of-file when the server's process ends,
however it ends (and the child checks its parent's pid too). The server restarts a child
that died (after 1 s, doubling up to 30 s while it keeps dying); the reconciler retries at
once the tasks whose claim names the dead pid, and the dispatch re-sends the queued tasks
that the dead child never claimed. On shutdown the child stops its Dramatiq worker like the
threads of `REPOVAULT_WORKER_MODE=thread` do; tasks still running are retried on the next
start, as after any restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

from repovault.common.clock import now_ms
from repovault.logs import configured_level
from repovault.runtime import Runtime

log = structlog.get_logger(__name__)

RESTART_FIRST_S = 1.0
RESTART_MAX_S = 30.0
HEALTHY_AFTER_S = 60.0  # a child that lived this long restarts without delay growth
STOP_WAIT_S = 20.0


class Link:
    """One end of the socket pair: whole JSON lines out (thread-safe), lines in."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._reader = sock.makefile("rb")
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> bool:
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        with self._lock:
            try:
                self.sock.sendall(data)
            except OSError:
                return False
        return True

    def receive(self) -> dict[str, Any] | None:
        """The next message; None at end-of-file (the other process is gone)."""
        try:
            line = self._reader.readline()
        except (OSError, ValueError):
            return None
        if not line:
            return None
        found: dict[str, Any] = json.loads(line)
        return found

    def close(self) -> None:
        for part in (self._reader, self.sock):
            with contextlib.suppress(OSError):
                part.close()


class WorkerProcess:
    """Server side: starts the child, feeds it task ids, restarts it when it dies."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        on_change: Callable[[], None],
    ) -> None:
        self.runtime = runtime
        self.on_change = on_change  # started or died: the task loop should pass now
        self.since = now_ms()  # messages sent before this went to a child that is gone
        self.process: subprocess.Popen[bytes] | None = None
        self._link: Link | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        self._spawn()
        self._monitor = threading.Thread(
            target=self._watch, name="repovault-worker-process", daemon=True
        )
        self._monitor.start()

    def send(self, task_id: str) -> None:
        """Best effort: a message the child never gets is re-sent once a new child is up."""
        with self._lock:
            link = self._link
        if link is not None:
            link.send({"task": task_id})

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            link, process = self._link, self.process
        if link is not None:
            link.send({"stop": True})
        if process is not None:
            try:
                process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                log.warning("worker process did not stop in time: killed", pid=process.pid)
                process.kill()
                process.wait()
        if self._monitor is not None:
            self._monitor.join(STOP_WAIT_S)  # and any child it was starting meanwhile
        if link is not None:
            link.close()

    # ---- inside ---------------------------------------------------------------------------

    def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        since = now_ms()
        process = subprocess.Popen(
            [sys.executable, "-m", "repovault.runner.child", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            # Its own session: a terminal's Ctrl-C (or `timeout`) signals the server, whose
            # shutdown stops the child in order; the child never outlives it (the link).
            start_new_session=True,
        )
        theirs.close()
        link = Link(ours)
        link.send(
            {
                "settings": self.runtime.settings.model_dump(mode="json"),
                "log_level": configured_level(),
                "parent": os.getpid(),
            }
        )
        with self._lock:
            self.process, self._link, self.since = process, link, since
        log.info("worker process started", pid=process.pid)
        if self._stopping.is_set():  # `stop` ran while this one was starting
            link.send({"stop": True})

    def _watch(self) -> None:
        delay = RESTART_FIRST_S
        while True:
            with self._lock:
                link, process = self._link, self.process
            assert link is not None
            assert process is not None
            started = time.monotonic()
            while (message := link.receive()) is not None:
                if message.get("wake"):
                    self.runtime.wake.set()
                elif "ready" in message:
                    log.info("worker process ready", pid=process.pid)
                    self.on_change()
            code = process.wait()
            link.close()
            if self._stopping.is_set():
                return
            log.error("worker process exited: restarting it", pid=process.pid, code=code)
            self.on_change()  # the reconciler retries its tasks (their claims name a dead pid)
            if time.monotonic() - started > HEALTHY_AFTER_S:
                delay = RESTART_FIRST_S
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, RESTART_MAX_S)
            try:
                self._spawn()
            except Exception as exc:
                log.error("worker process could not start", error=str(exc))
                self._stopping.wait(delay)
                if self._stopping.is_set():
                    return
                continue
            self.on_change()


# ---- the child ---------------------------------------------------------------------------


class ServerLink:
    """Child side: what the worker tells the server."""

    def __init__(self, link: Link) -> None:
        self.link = link

    def wake(self) -> None:
        self.link.send({"wake": True})
