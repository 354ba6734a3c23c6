"""A Python client for the repovault management API (httpx; sync and async).

    from repovault.client import Client

    with Client("http://127.0.0.1:8080") as api:
        api.login("admin@example.org", "…")
        for org in api.iter_organizations():
            print(org["name"], org["protectedRepositories"])
        tasks = api.wait_for_tasks(api.run_plan(plan_id)["taskIds"])  # TaskFailed if one fails

`AsyncClient` has the same methods, awaited (`async for` over the `iter_*` ones). Every error
answer raises an `ApiError` subclass carrying the problem's `status`, `code` (the API's error
code, e.g. `PL3001`), `detail` and per-field `errors`.

The parts: `clients.py` (the two clients: transport, login, waiting for tasks), `errors.py`
(the exception tree), `base.py` (what the calls build on), and one module per group of calls:
`accounts.py`, `organizations.py`, `repositories.py`, `plans.py`, `operations.py` (storages,
workers, tasks).
"""

from __future__ import annotations

from repovault.client.base import FINISHED as FINISHED
from repovault.client.base import Json as Json
from repovault.client.clients import AsyncClient, Client
from repovault.client.errors import ERRORS as ERRORS
from repovault.client.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    ServerError,
    TaskFailed,
    Unauthorized,
)

__all__ = [
    "ApiError",
    "AsyncClient",
    "BadRequest",
    "Client",
    "Conflict",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "ServerError",
    "TaskFailed",
    "Unauthorized",
]
