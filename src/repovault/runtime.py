"""The process-wide parts every request, task and command shares: settings, the database,
the secret box, the token codec, the password hasher and the one HTTP client to the
platforms. Built once per process by `build_runtime`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import httpx

from repovault import __version__
from repovault.common.passwords import Passwords
from repovault.common.secrets import SecretBox
from repovault.common.tokens import TokenCodec
from repovault.config import Settings
from repovault.db import Database


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database
    box: SecretBox
    tokens: TokenCodec
    passwords: Passwords
    http: httpx.Client  # every call to a platform goes through it (tests swap its transport)
    # Set when the API has queued work, so the task loop dispatches it at once.
    wake: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        """Release connections."""
        self.http.close()
        self.db.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """The data folder secured (0700/0600), then every shared part opened on `settings`."""
    settings.secure_data_dir()
    secret = settings.effective_secret_key
    return Runtime(
        settings=settings,
        db=Database(settings.effective_database_url),
        box=SecretBox(secret),
        tokens=TokenCodec(secret, issuer=settings.issuer, audience=settings.audience),
        http=httpx.Client(
            timeout=httpx.Timeout(30.0, connect=10.0),
            follow_redirects=True,
            headers={"User-Agent": f"repovault/{__version__}"},
        ),
        passwords=Passwords(
            time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib
        ),
    )
