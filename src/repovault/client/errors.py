"""The client's errors: every answer that is not 200 raises one, built from its RFC 9457 problem.

The tree, each with the status that raises it:

    ApiError
    ├── BadRequest    400
    ├── Unauthorized  401
    ├── Forbidden     403
    ├── NotFound      404
    ├── Conflict      409
    ├── RateLimited   429, with retry_after (seconds)
    └── ServerError   any other status

    TaskFailed        not an answer: `wait_for_tasks` saw a task end failed, canceled or
                      not started (`check=False` returns the tasks instead)

`ApiError` carries the problem's `status`, `code` (the API's error code, e.g. `PL3001`),
`title`, `detail` and per-field `errors`.
"""

from __future__ import annotations

from typing import Any

import httpx

from repovault.client.base import Json


class ApiError(Exception):
    """An answer that is not 200: the RFC 9457 problem the server sent."""

    def __init__(self, status: int, problem: Json) -> None:
        self.status = status
        self.code: str = str(problem.get("errorCode") or "")
        self.title: str = str(problem.get("title") or "")
        self.detail: str = str(problem.get("detail") or problem.get("title") or status)
        self.errors: dict[str, list[str]] = problem.get("errors") or {}
        super().__init__(f"{status} {self.code}: {self.detail}")


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    pass


class Forbidden(ApiError):
    pass


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class RateLimited(ApiError):
    def __init__(self, status: int, problem: Json, retry_after: float) -> None:
        super().__init__(status, problem)
        self.retry_after = retry_after


class ServerError(ApiError):
    pass


class TaskFailed(Exception):
    """`wait_for_tasks` saw a task end failed, canceled or not started: `tasks` are all the
    tasks waited for (as `/tasks/get` gives them), `failed` those that did not succeed."""

    def __init__(self, tasks: list[Json], failed: list[Json]) -> None:
        self.tasks = tasks
        self.failed = failed
        first = failed[0]
        super().__init__(
            f"{len(failed)} of {len(tasks)} task(s) did not succeed; first: {first['kind']} "
            f"{first['id']}: {first.get('error') or 'status ' + str(first['status'])}"
        )


ERRORS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
}


def raise_for(response: httpx.Response) -> Any:
    """The JSON answer of a 200 (None when empty); any other status raises its `ApiError`."""
    if response.status_code == 200:
        return response.json() if response.content else None
    try:
        problem = response.json()
    except ValueError:
        problem = {"detail": response.text[:500]}
    if not isinstance(problem, dict):
        problem = {"detail": str(problem)}
    if response.status_code == 429:
        retry = float(response.headers.get("retry-after", "1") or 1)
        raise RateLimited(429, problem, retry)
    kind = ERRORS.get(response.status_code, ServerError)
    raise kind(response.status_code, problem)
