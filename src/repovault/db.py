"""Database engine, sessions and the declarative base.

SQLite (the embedded default) runs in WAL mode with foreign keys on. Write transactions on
SQLite start with `BEGIN IMMEDIATE`, so two writers never both read-then-write and collide at
commit; reads stay deferred and never wait for a writer. Writers queue for SQLite's one write
slot on a lock instead of its busy handler: a thread lock inside a process, plus a file lock
(`<database>-writelock`) between the processes of one host (the server and its worker
process). PostgreSQL needs nothing special.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

WRITE_OPTION = "repovault_write"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is unreliable).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class WriteLock:
    """SQLite's writers, in turn: threads on a reentrant lock, processes on `flock` (the
    kernel wakes the next one at once, where SQLite's busy handler sleeps up to 100 ms a
    try). A process that dies releases its file lock with it."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0  # changed only by the thread holding `_lock`
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            if self._depth == 0 and self.path is not None:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise
        self._depth += 1

    def __exit__(self, *_exc: object) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            assert self.path is not None
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def _sqlite_file(engine: Engine) -> str | None:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return os.path.abspath(name)


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer; its busy handler waits by sleeping (up to 100 ms a try), so
        # writers queue here instead, and wake at once.
        sqlite_file = _sqlite_file(self.engine) if self.is_sqlite else None
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            WriteLock(f"{sqlite_file}-writelock" if sqlite_file else None)
            if self.is_sqlite
            else contextlib.nullcontext()
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._write_lock if write else contextlib.nullcontext(), self._sessions() as session:
            if write:
                session.connection(execution_options={WRITE_OPTION: True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
        if isinstance(self._write_lock, WriteLock):
            self._write_lock.close()
