"""Settings from `REPOVAULT_*` environment variables; nothing needs a config file to start.

The secret key (token signing, encryption of secrets at rest) is generated once into the
data folder when it is not given, so a restart keeps tokens and stored credentials valid.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

log = structlog.get_logger(__name__)

SECRET_KEY_FILE = "secret.key"  # noqa: S105 (a file name)


def _private(path: Path, mode: int) -> None:
    try:
        path.chmod(mode)
    except OSError as exc:
        log.warning(
            "cannot make private: other local users may read it",
            path=str(path),
            mode=oct(mode),
            error=str(exc),
        )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPOVAULT_", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    broker_url: str = ""
    secret_key: str = ""
    admin_email: str = ""
    admin_password: str = ""
    timezone: str = "UTC"
    licences: int | None = Field(default=None, ge=0)
    token_issuer: str = ""
    token_audience: str = ""
    worker_id: str = "embedded"
    # Directory restores go only below these folders (`:`-separated in the environment);
    # empty: the `restores` folder of the data folder.
    restore_roots: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    # The mirror cache (data/cache/mirrors) holds a plain, unencrypted copy of every
    # repository so that the next backup fetches only what is new. False: encrypted plans
    # keep none (each of their backups clones again, then removes the copy).
    cache_encrypted_plans: bool = True
    # Failed logins inside the window before 429: per email, per client address, and over
    # all (the last stops guesses spread over many addresses, at the price of refusing every
    # login for the rest of the window: raise it for large installations).
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=10, ge=1)
    login_max_failures_overall: int = Field(default=100, ge=1)
    # Addresses or networks of the reverse proxies whose X-Forwarded-For is believed
    # (comma-separated); empty: none, the peer's address is the client's.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    login_window_seconds: int = Field(default=900, ge=1)
    # Each failure past the third waits this long times the excess, to slow guessing.
    login_failure_delay_seconds: float = Field(default=0.5, ge=0)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Organizations synchronize on their own this often (0: only when asked).
    sync_interval_minutes: int = Field(default=1440, ge=0)
    # Argon2id cost of password hashes (defaults are argon2-cffi's recommended profile).
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65536, ge=8)
    # Tasks: the server runs a worker for REPOVAULT_WORKER_ID (turn off on API-only replicas)
    # with this many threads; heartbeats every few seconds; a running task whose heartbeat
    # is older than the stale limit is retried (its worker died).
    run_worker: bool = True
    # `process`: the server's worker runs in a child process (its own GIL: backups and the
    # API do not slow each other); `thread`: in the server's process (tests, debugging).
    worker_mode: Literal["process", "thread"] = "process"
    # How much lower the worker child's CPU priority is than the server's (`nice`; its git
    # commands inherit it): on a busy machine the API answers first, backups take the rest.
    worker_nice: int = Field(default=10, ge=0, le=19)
    worker_threads: int = Field(default=4, ge=1, le=64)
    # How long an idle worker thread waits for a message before checking for shutdown.
    worker_poll_ms: int = Field(default=100, ge=1)
    task_heartbeat_seconds: float = Field(default=5.0, gt=0)
    task_stale_seconds: float = Field(default=60.0, gt=0)
    # Finished tasks (and their logs) are kept this many days (0: forever).
    task_history_days: int = Field(default=90, ge=0)
    # A repository the platform's listing says is unchanged is confirmed without git
    # (runner/unchanged.py), but every this many runs git's ls-remote checks it anyway, for
    # the refs the listing's time does not follow (0 or 1: always git).
    unchanged_git_every: int = Field(default=10, ge=0)
    # Audit entries (every state-changing call) are kept this many days (0: forever).
    audit_days: int = Field(default=365, ge=0)
    # An export's archive is kept this many hours after its task ended: then its link is
    # refused (410) and the next export, or backup, to its storage deletes it (0: as long as
    # its task is kept, task_history_days).
    export_keep_hours: int = Field(default=24, ge=0)
    # The scheduler and reconciler look for due plans and stranded tasks this often.
    scheduler_seconds: float = Field(default=15.0, gt=0)
    # When set, /metrics wants it as a Bearer token.
    metrics_token: str = ""
    # Notifications by email (run summaries); empty host: email is not sent.
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "repovault@localhost"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("restore_roots", mode="before")
    @classmethod
    def _path_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an address or network: {entry!r}") from exc
        return value

    @field_validator("licences", mode="before")
    @classmethod
    def _unlimited(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"", "unlimited"}:
            return None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def issuer(self) -> str:
        return self.token_issuer or self.base_url

    @property
    def audience(self) -> str:
        return self.token_audience or self.base_url

    @property
    def effective_restore_roots(self) -> list[Path]:
        """The restore roots as real absolute paths (symlinks resolved)."""
        return [root.resolve() for root in self.restore_roots or [self.data_dir / "restores"]]

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'repovault.db').resolve()}"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, when the database is SQLite."""
        url = make_url(self.effective_database_url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        return Path(url.database)

    def secure_data_dir(self) -> None:
        """The data folder 0700 and the SQLite database (with its WAL files) and the secret
        key 0600: created so, and tightened on an install made before."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        _private(self.data_dir, 0o700)
        database = self.sqlite_path
        if database is not None:
            database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # SQLite gives its -wal and -shm files the mode of the database file.
            os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
        private = [self.data_dir / SECRET_KEY_FILE]
        if database is not None:
            private += [database, *database.parent.glob(f"{database.name}-*")]
        for path in private:
            if path.exists():
                _private(path, 0o600)

    @cached_property
    def effective_secret_key(self) -> bytes:
        """The configured key, else the one kept in the data folder (created on first use)."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
            tmp.replace(path)
        return path.read_text().strip().encode()
