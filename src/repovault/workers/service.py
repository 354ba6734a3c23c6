"""Workers: lookup and listing with their online state."""

from __future__ import annotations

import socket

from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault import __version__
from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.errors import NotFound
from repovault.common.lookup import get_by_id
from repovault.common.paging import Column, Page, PageRequest, fetch
from repovault.workers.models import Worker


def get_worker(session: Session, worker_id: str) -> Worker:
    return get_by_id(session, Worker, worker_id, code=codes.WORKER_NOT_FOUND, what="worker")


def worker_by_name(session: Session, name: str) -> Worker | None:
    return session.scalar(select(Worker).where(Worker.name == name))


WORKER_FIELDS = {
    "id": Column(Worker.id, "id"),
    "name": Column(Worker.name, "str"),
    "hostname": Column(Worker.hostname, "str"),
    "version": Column(Worker.version, "str"),
    "lastseen": Column(Worker.last_seen, "int"),
}


def list_workers(session: Session, request: PageRequest) -> Page:
    return fetch(session, select(Worker), request, WORKER_FIELDS, Worker.id)


def worker_or_embedded(session: Session, worker_id: str | None, embedded: str) -> str:
    """`worker_id` when given (it must exist), else the server's own worker (`embedded`, its
    name); WK4101 when there is none."""
    if worker_id is not None:
        return get_worker(session, worker_id).id
    worker = worker_by_name(session, embedded)
    if worker is None:
        raise NotFound(codes.WORKER_NOT_FOUND, f"no worker named {embedded!r}")
    return worker.id


def ensure_worker(session: Session, name: str, *, beat: bool = True) -> Worker:
    """The worker row of `name`, created when missing. `beat` records a heartbeat (it shows
    online for 90 s): only a process that runs that worker passes it."""
    worker = session.scalar(select(Worker).where(Worker.name == name))
    if worker is None:
        worker = Worker(name=name, last_seen=0)
        session.add(worker)
    if beat:
        worker.hostname = socket.gethostname()
        worker.version = __version__
        worker.last_seen = now_ms()
    session.flush()
    return worker
