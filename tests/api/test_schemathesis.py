"""Property-based tests of every call from the app's own OpenAPI document (schemathesis).

For each operation, bodies generated from its request schema (valid ones, and ones that
break it) are sent with an administrator's token; every answer must be no 5xx, have a
documented status and content type, and match the documented schema (the 200 model or
the Problem document). A fixed seed and a bounded number of examples per operation keep
it repeatable and within about a minute. One app and one SQLite database serve the module.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from repovault.app import CALLS, create_app
from repovault.config import Settings
from repovault.runtime import build_runtime
from tests.api.world import add_org, add_plan, add_repos
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from tests.providers.fake_platforms import Platforms

PATHS = sorted(call.path for group in CALLS for call in group.calls)
MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Left out, each because it would change what the rest of the run relies on:
EXCLUDED = [
    # revokes the administrator's token that every other operation uses;
    "/account/logout",
    # creates the (generated, absolute) folder it is given anywhere on the test machine.
    "/storages/add",
]


@dataclasses.dataclass
class Served:
    app: FastAPI
    token: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("schemathesis")
    shutil.copy(sqlite_template, root / "repovault.db")
    config = Settings(
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'repovault.db'}",
        secret_key="test-secret-key-0123456789",
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        login_failure_delay_seconds=0,
        password_time_cost=1,
        password_memory_kib=64,
        sync_interval_minutes=0,
        worker_poll_ms=10,
    )
    built = build_runtime(config)
    built.http.close()
    # Platform checks of generated organizations go to the fakes, never to the network.
    runtime = dataclasses.replace(built, http=Platforms().client())
    app = create_app(runtime=runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client)
        api.token = api.login()
        # Something for the list calls to list.
        org = add_org(api)
        add_plan(api, org, repositoriesIds=add_repos(api, org, 2))
        yield Served(app, api.token)
    runtime.close()


@pytest.fixture(scope="module")
def api_schema(served: Served) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", served.app)


def _strategy(operation: Any) -> Any:
    """Valid bodies and, where the schema can be broken, invalid ones."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    # (a schema that accepts any object cannot be broken)
    with contextlib.suppress(Exception):
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(strategies)


# (schemathesis's own `from_fixture` loader does not run under pytest 9, so operations are
# walked here: the app's calls, each looked up in the document the app serves.)
@pytest.mark.parametrize("path", [p for p in PATHS if p not in EXCLUDED])
def test_every_call(path: str, api_schema: Any, served: Served) -> None:
    operation = api_schema[path]["POST"]
    headers = {"Authorization": f"Bearer {served.token}"}

    @given(case=_strategy(operation))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_every_call_is_walked(api_schema: Any) -> None:
    documented = {op.path for op in (r.ok() for r in api_schema.get_all_operations())}
    assert set(PATHS) <= documented
