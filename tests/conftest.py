"""Fixtures: a real server app on a real database (SQLite always, PostgreSQL when reachable).

Each test gets an empty, migrated database with the first-start records (admin user,
default storage, embedded worker). SQLite tests copy a migrated template file; PostgreSQL
tests share one database created for the run and truncate it between tests.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from repovault import migrate
from repovault.app import create_app
from repovault.config import Settings
from repovault.db import Base, make_engine
from repovault.runtime import Runtime, build_runtime
from tests.providers.fake_github import FakeGitHub
from tests.providers.fake_platforms import Platforms

ADMIN_EMAIL = "admin@company.com"
ADMIN_PASSWORD = "admin123"
PG_ENV = "REPOVAULT_TEST_DATABASE_URL"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Apps built in-process keep the embedded worker on threads, where they share the test's
# fake platforms; tests/e2e/test_worker_process.py runs the child-process default.
os.environ.setdefault("REPOVAULT_WORKER_MODE", "thread")


def _postgres_admin_url() -> str | None:
    url = os.environ.get(PG_ENV, PG_DEFAULT)
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return None
    return url


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """Commands under test configure logging for the process; undo it after each test."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "repovault.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin_url = _postgres_admin_url()
    if admin_url is None:
        pytest.skip(f"PostgreSQL not reachable (set {PG_ENV} or start it on 127.0.0.1:5432)")
    name = f"repovault_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "repovault.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate(url)
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        # Tests restore into folders of their own; the data folder stays protected.
        restore_roots=[tmp_path],
        secret_key="test-secret-key-0123456789",
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        login_failure_delay_seconds=0,
        # Cheap hashes keep the suite fast; production keeps argon2-cffi's profile.
        password_time_cost=1,
        password_memory_kib=64,
        sync_interval_minutes=0,  # tests start synchronizations themselves
        worker_poll_ms=10,
        task_heartbeat_seconds=0.2,
    )


@pytest.fixture
def platforms() -> Platforms:
    """The platform APIs every test's server talks to (recorded responses, no network)."""
    fakes = Platforms()
    for name in ("acme", "Acme", "gh"):
        fakes.github.orgs[name] = []
    fakes.gitea.orgs["forge"] = []
    return fakes


@pytest.fixture
def github(platforms: Platforms) -> FakeGitHub:
    return platforms.github


@pytest.fixture
def runtime(settings: Settings, platforms: Platforms) -> Iterator[Runtime]:
    built = build_runtime(settings)
    built.http.close()
    runtime = dataclasses.replace(built, http=platforms.client())
    yield runtime
    runtime.close()


class Api:
    """A client that speaks the API the way scripts do: POST + JSON + Bearer token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token: str | None = None

    def post(
        self, path: str, body: Any = None, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        use = token if token is not None else self.token
        if use:
            headers["Authorization"] = f"Bearer {use}"
        if body is None and "content" not in kwargs:
            return self.client.post(path, headers=headers, **kwargs)
        if "content" in kwargs:
            return self.client.post(path, headers=headers, **kwargs)
        return self.client.post(path, json=body, headers=headers, **kwargs)

    def ok(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.post(path, body, **kwargs)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json() if response.content else None

    def login(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
        data = self.ok(
            "/account/login", {"email": email, "password": password, "rememberMe": True}, token=""
        )
        token: str = data["accessToken"]
        return token


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    app = create_app(runtime=runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client)
        api.token = api.login()
        yield api


@pytest.fixture
def make_user(api: Api) -> Callable[..., str]:
    """Creates a user with the given roles and returns a token for it."""

    def make(*roles: str) -> str:
        email = f"user-{uuid.uuid4().hex[:8]}@company.com"
        api.ok("/users/create", {"email": email, "password": "password-123", "roles": list(roles)})
        return api.login(email, "password-123")

    return make
