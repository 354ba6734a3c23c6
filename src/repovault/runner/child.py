"""The worker child process's own side (`python -m repovault.runner.child FD`): it reads
the settings the server sends over the link, runs the task loop's worker, and stops when
told, when signalled, or when the server process is gone (`process.py` is the server's
side)."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from pathlib import Path

import structlog

from repovault.config import Settings
from repovault.logs import configure_logging
from repovault.runner.loop import TaskSystem
from repovault.runner.process import STOP_WAIT_S, Link, ServerLink
from repovault.runtime import build_runtime

log = structlog.get_logger(__name__)


def _watch_parent(parent: int, gone: threading.Event) -> None:
    while not gone.wait(1.0):
        if os.getppid() != parent:
            log.warning("server process gone: the worker process stops")
            gone.set()


def lower_priority(nice: int) -> None:
    """This process and the git commands it starts yield the CPU to the server: `nice`, and
    on Linux with autogroup scheduling (the child has a session, so a group, of its own,
    shared fairly with the server's whatever the processes' nice) the group's nice too.
    Called before any thread starts, so every thread and command inherits it."""
    os.nice(nice)
    autogroup = Path("/proc/self/autogroup")
    try:
        if autogroup.exists():
            autogroup.write_text(str(nice))
    except OSError as exc:
        log.warning("the worker's scheduling group keeps its priority", error=str(exc))


def main(fd: int) -> None:

    link = Link(socket.socket(fileno=fd))
    hello = link.receive()
    if hello is None:
        return
    configure_logging(int(hello["log_level"]))
    settings = Settings(**hello["settings"])
    if settings.worker_nice:
        lower_priority(settings.worker_nice)
    runtime = build_runtime(settings)
    system = TaskSystem(
        runtime, worker=True, coordinator=False, mode="thread", server=ServerLink(link)
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # sent to it alone: stop as asked
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(
        target=_watch_parent, args=(int(hello["parent"]), stop), daemon=True, name="parent"
    ).start()
    system.start()
    worker_id = system.worker_row_id
    assert worker_id is not None

    def read() -> None:
        while (message := link.receive()) is not None:
            if "task" in message:
                if system.dispatcher.in_process:
                    system.dispatcher.send(str(message["task"]), worker_id)
            elif message.get("stop"):
                break
        stop.set()

    threading.Thread(target=read, daemon=True, name="server-link").start()
    link.send({"ready": worker_id})
    stop.wait()
    # Whatever happens below, the process ends: never an orphan left waiting on a thread.
    watchdog = threading.Timer(STOP_WAIT_S - 5, os._exit, args=(0,))
    watchdog.daemon = True
    watchdog.start()
    try:
        system.stop()
        runtime.close()
        log.info("worker process stopped")
    finally:
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
