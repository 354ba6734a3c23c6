"""First start: the admin user, the default local storage and, when this server runs it, the
embedded worker's record."""

from __future__ import annotations

import secrets
import sys

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.accounts import service as accounts
from repovault.accounts.roles import Role
from repovault.common.enums import StorageType
from repovault.common.passwords import Passwords
from repovault.config import Settings
from repovault.runtime import Runtime
from repovault.storages.models import Storage
from repovault.workers.service import ensure_worker

log = structlog.get_logger(__name__)

DEFAULT_ADMIN_EMAIL = "admin@repovault.local"
DEFAULT_STORAGE_NAME = "Local storage"


def ensure_admin(session: Session, settings: Settings, passwords: Passwords) -> None:
    if accounts.count_users(session):
        return
    email = settings.admin_email or DEFAULT_ADMIN_EMAIL
    password = settings.admin_password
    if not password:
        password = secrets.token_urlsafe(15)
        # Printed once, here only: the operator's one chance to read it.
        print(
            f"\nrepovault: created the first administrator\n  email:    {email}\n"
            f"  password: {password}\n(shown once; change it with /users/modify)\n",
            file=sys.stderr,
            flush=True,
        )
    accounts.create_user(
        session,
        passwords,
        caller=None,
        email=email,
        password=password,
        roles=[Role.SYSTEM_ADMINISTRATOR.value],
    )
    log.info("first administrator created", email=email)


def ensure_default_storage(session: Session, settings: Settings) -> None:
    if session.scalar(select(Storage.id).where(Storage.is_default)):
        return
    path = (settings.data_dir / "storage").resolve()
    path.mkdir(parents=True, exist_ok=True)
    session.add(
        Storage(
            name=DEFAULT_STORAGE_NAME,
            type=StorageType.LOCAL,
            settings={"path": str(path)},
            is_default=True,
        )
    )
    log.info("default storage created", path=str(path))


def bootstrap(session: Session, runtime: Runtime) -> None:
    settings = runtime.settings
    ensure_admin(session, settings, runtime.passwords)
    ensure_default_storage(session, settings)
    if settings.run_worker:  # an API-only replica registers no worker (the task loop beats)
        ensure_worker(session, settings.worker_id, beat=False)
