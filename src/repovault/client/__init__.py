"""A Python client for the repovault management API (httpx; sync and async).

    from repovault.client import Client

    with Client("http://127.0.0.1:8080") as api:
        api.login("admin@example.org", "…")
        for org in api.iter_organizations():
            print(org["name"], org["protectedRepositories"])
        task_ids = api.run_plan(plan_id)
        api.wait_for_tasks(task_ids)

`AsyncClient` has the same methods, awaited (`async for` over the `iter_*` ones). Every error
answer raises an `ApiError` subclass carrying the problem's `status`, `code` (the API's error
code, e.g. `PL3001`), `detail` and per-field `errors`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

import httpx

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
    "Unauthorized",
]

FINISHED = frozenset({1, 2, 3, 4, 7})  # task statuses that end a task
Json = dict[str, Any]


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


ERRORS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
}


def _raise_for(response: httpx.Response) -> Any:
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


def _paging(
    limit: int | None,
    page: int | None,
    orderby: str | None,
    ordertype: str | None,
    filters: list[Json] | None,
) -> Json:
    given = {
        "limit": limit,
        "page": page,
        "orderby": orderby,
        "ordertype": ordertype,
        "filters": filters,
    }
    return {k: v for k, v in given.items() if v is not None}


def _some(**fields: Any) -> Json:
    """The body with the given fields, leaving out those not given (None)."""
    return {k: v for k, v in fields.items() if v is not None}


R = TypeVar("R")  # what a call gives back: the JSON answer, or an awaitable of it
P = TypeVar("P")  # what the iter_* methods give back: an iterator or an async iterator


class _Calls(Generic[R, P]):
    """Every call of the API, once; the sync and async clients say how a call is made."""

    def _call(self, path: str, body: Json | None = None) -> R:
        raise NotImplementedError

    def _pages(self, path: str, body: Json, items: Callable[[Json], list[Json]]) -> P:
        raise NotImplementedError

    # ---- accounts and users --------------------------------------------------------------

    def logout(self) -> R:
        return self._call("/account/logout")

    def me(self) -> R:
        return self._call("/account/me")

    def create_user(self, email: str, password: str, roles: list[str]) -> R:
        return self._call("/users/create", {"email": email, "password": password, "roles": roles})

    def list_users(self, **paging: Any) -> R:
        return self._call("/users/getmany", _paging(**_defaults(paging)))

    def modify_user(
        self,
        id: str,
        *,
        email: str | None = None,
        password: str | None = None,
        roles: list[str] | None = None,
    ) -> R:
        return self._call(
            "/users/modify", _some(id=id, email=email, password=password, roles=roles)
        )

    def remove_user(self, id: str) -> R:
        return self._call("/users/remove", {"id": id})

    # ---- organizations -------------------------------------------------------------------

    def add_organization(
        self,
        driver: int,
        name: str,
        *,
        api_url: str | None = None,
        token: str | None = None,
        username: str | None = None,
        default_worker_id: str | None = None,
        auto_add_new_repositories: bool = False,
        is_read_only: bool = False,
        additional_tokens: list[str] | None = None,
    ) -> R:
        return self._call(
            "/git/organizations/add",
            _some(
                driver=driver,
                name=name,
                apiUrl=api_url,
                token=token,
                username=username,
                defaultWorkerId=default_worker_id,
                autoAddNewRepositories=auto_add_new_repositories,
                isReadOnly=is_read_only,
                additionalTokens=additional_tokens,
            ),
        )

    def modify_organization(self, id: str, **fields: Any) -> R:
        """Fields by their API names (`name`, `apiUrl`, `token`, `defaultWorkerId`, ...)."""
        return self._call("/git/organizations/modify", {"id": id, **fields})

    def remove_organization(self, id: str, *, remove_data: bool = False) -> R:
        return self._call("/git/organizations/remove", {"id": id, "removedata": remove_data})

    def list_organizations(self, **paging: Any) -> R:
        return self._call("/git/organizations/getmany", _paging(**_defaults(paging)))

    def iter_organizations(self, **paging: Any) -> P:
        return self._pages(
            "/git/organizations/getmany", _paging(**_defaults(paging)), lambda r: r["result"]
        )

    # ---- repositories --------------------------------------------------------------------

    def list_repositories(self, organization_id: str, **paging: Any) -> R:
        body = {"id": organization_id, **_paging(**_defaults(paging))}
        return self._call("/git/repositories/getmany", body)

    def iter_repositories(self, organization_id: str, **paging: Any) -> P:
        body = {"id": organization_id, **_paging(**_defaults(paging))}
        return self._pages("/git/repositories/getmany", body, lambda r: r["result"]["repositories"])

    def add_repositories(self, organization_id: str, urls: list[str]) -> R:
        return self._call(
            "/git/repositories/add", {"organizationId": organization_id, "urls": urls}
        )

    def activate(self, ids: list[str]) -> R:
        return self._call("/git/repositories/activate", {"ids": ids})

    def deactivate(self, ids: list[str]) -> R:
        return self._call("/git/repositories/deactivate", {"ids": ids})

    def remove_repositories(self, ids: list[str], *, remove_data: bool = False) -> R:
        return self._call("/git/repositories/remove", {"ids": ids, "removedata": remove_data})

    def sync(self, organization_id: str) -> R:
        return self._call("/git/repositories/sync", {"id": organization_id})

    def snapshots(self, repository_id: str, *, limit: int = 25, page: int = 1) -> R:
        return self._call(
            "/git/repositories/snapshots", {"id": repository_id, "limit": limit, "page": page}
        )

    def iter_snapshots(self, repository_id: str) -> P:
        return self._pages(
            "/git/repositories/snapshots",
            {"id": repository_id, "limit": 100},
            lambda r: r["result"],
        )

    def restore(
        self,
        repository_id: str,
        target: Json,
        *,
        snapshot_id: str | None = None,
        allow_earlier: bool = False,
    ) -> R:
        """`target`: {"kind": "directory", "path", "bare"} or {"kind": "url", "url", "token"}.
        `allow_earlier`: when the newest snapshot is damaged, the newest intact earlier one."""
        return self._call(
            "/git/repositories/restore",
            _some(
                id=repository_id,
                snapshotId=snapshot_id,
                target=target,
                allowEarlier=allow_earlier or None,
            ),
        )

    def verify(self, repository_id: str, *, snapshot_id: str | None = None) -> R:
        return self._call(
            "/git/repositories/verify", _some(id=repository_id, snapshotId=snapshot_id)
        )

    # ---- plans ---------------------------------------------------------------------------

    def create_git_plan(self, plan: Json) -> R:
        return self._call("/plans/creategitplan", plan)

    def create_azure_plan(self, plan: Json) -> R:
        return self._call("/plans/createazureplan", plan)

    def modify_git_plan(self, plan: Json) -> R:
        return self._call("/plans/modifygitplan", plan)

    def modify_azure_plan(self, plan: Json) -> R:
        return self._call("/plans/modifyazureplanasync", plan)

    def get_plan(self, id: str) -> R:
        return self._call("/plans/get", {"id": id})

    def remove_plan(self, id: str) -> R:
        return self._call("/plans/remove", {"id": id})

    def list_plans(self, organization_id: str, **paging: Any) -> R:
        body = {"organizationId": organization_id, **_paging(**_defaults(paging))}
        return self._call("/plans/listassignedtoorganization", body)

    def iter_plans(self, organization_id: str, **paging: Any) -> P:
        body = {"organizationId": organization_id, **_paging(**_defaults(paging))}
        return self._pages("/plans/listassignedtoorganization", body, lambda r: r["result"])

    def attach_git_repository(self, plan_id: str, repository_id: str) -> R:
        body = {"planId": plan_id, "repositoryId": repository_id}
        return self._call("/plans/attachgitrepository", body)

    def detach_git_repository(self, plan_id: str, repository_id: str) -> R:
        body = {"planId": plan_id, "repositoryId": repository_id}
        return self._call("/plans/detachgitrepository", body)

    def attach_azure_project(self, plan_id: str, project_id: str) -> R:
        return self._call("/plans/attachazureproject", {"planId": plan_id, "projectId": project_id})

    def detach_azure_project(self, plan_id: str, project_id: str) -> R:
        return self._call("/plans/detachazureproject", {"planId": plan_id, "projectId": project_id})

    def run_plan(self, id: str, *, kind: int | None = None) -> R:
        """Backup kind: 1 full, 2 differential, 3 incremental; None: the plan's scheme."""
        return self._call("/plans/run", _some(id=id, kind=kind))

    def cancel_plan(self, id: str) -> R:
        return self._call("/plans/cancel", {"id": id})

    # ---- storages, workers, tasks --------------------------------------------------------

    def add_storage(self, name: str, type: int, settings: Json) -> R:
        return self._call("/storages/add", {"name": name, "type": type, "settings": settings})

    def list_storages(self, **paging: Any) -> R:
        return self._call("/storages/getmany", _paging(**_defaults(paging)))

    def remove_storage(self, id: str) -> R:
        return self._call("/storages/remove", {"id": id})

    def list_workers(self, **paging: Any) -> R:
        return self._call("/workers/getmany", _paging(**_defaults(paging)))

    def list_tasks(self, **paging: Any) -> R:
        return self._call("/tasks/getmany", _paging(**_defaults(paging)))

    def iter_tasks(self, **paging: Any) -> P:
        return self._pages("/tasks/getmany", _paging(**_defaults(paging)), lambda r: r["result"])

    def get_task(self, id: str) -> R:
        return self._call("/tasks/get", {"id": id})

    def cancel_task(self, id: str) -> R:
        return self._call("/tasks/cancel", {"id": id})


def _defaults(paging: dict[str, Any]) -> dict[str, Any]:
    known = ("limit", "page", "orderby", "ordertype", "filters")
    unknown = set(paging) - set(known)
    if unknown:
        raise TypeError(f"unknown paging argument(s): {', '.join(sorted(unknown))}")
    return {k: paging.get(k) for k in known}


def _next_page(body: Json, reply: Json) -> Json | None:
    page = int(body.get("page", 1))
    if page >= int(reply.get("pageCount", 0)):
        return None
    return {**body, "page": page + 1}


class Client(_Calls[Any, Iterator[Json]]):
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.token = token
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _call(self, path: str, body: Json | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return _raise_for(self.http.post(path, json=body or {}, headers=headers))

    def _pages(self, path: str, body: Json, items: Callable[[Json], list[Json]]) -> Iterator[Json]:
        current: Json | None = {"limit": 100, **body}
        while current is not None:
            reply = self._call(path, current)
            yield from items(reply)
            current = _next_page(current, reply)

    def login(self, email: str, password: str, *, remember_me: bool = True) -> Json:
        reply: Json = self._call(
            "/account/login", {"email": email, "password": password, "rememberMe": remember_me}
        )
        self.token = reply["accessToken"]
        return reply

    def wait_for_tasks(
        self,
        task_ids: list[str],
        *,
        timeout: float = 3600,
        interval: float = 1.0,
        on_update: Callable[[list[Json]], None] | None = None,
    ) -> list[Json]:
        """Poll until every task has ended; the tasks as `/tasks/get` gives them."""
        deadline = time.monotonic() + timeout
        while True:
            tasks = [self.get_task(task_id) for task_id in task_ids]
            if on_update is not None:
                on_update(tasks)
            if all(t["status"] in FINISHED for t in tasks):
                return tasks
            if time.monotonic() > deadline:
                raise TimeoutError(f"tasks still running after {timeout} s")
            time.sleep(interval)


class AsyncClient(_Calls[Awaitable[Any], AsyncIterator[Json]]):
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token = token
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _post(self, path: str, body: Json | None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return _raise_for(await self.http.post(path, json=body or {}, headers=headers))

    def _call(self, path: str, body: Json | None = None) -> Awaitable[Any]:
        return self._post(path, body)

    async def _pages(
        self, path: str, body: Json, items: Callable[[Json], list[Json]]
    ) -> AsyncIterator[Json]:
        current: Json | None = {"limit": 100, **body}
        while current is not None:
            reply = await self._post(path, current)
            for item in items(reply):
                yield item
            current = _next_page(current, reply)

    async def login(self, email: str, password: str, *, remember_me: bool = True) -> Json:
        reply: Json = await self._post(
            "/account/login", {"email": email, "password": password, "rememberMe": remember_me}
        )
        self.token = reply["accessToken"]
        return reply

    async def wait_for_tasks(
        self, task_ids: list[str], *, timeout: float = 3600, interval: float = 1.0
    ) -> list[Json]:
        deadline = time.monotonic() + timeout
        while True:
            tasks = [await self.get_task(task_id) for task_id in task_ids]
            if all(t["status"] in FINISHED for t in tasks):
                return tasks
            if time.monotonic() > deadline:
                raise TimeoutError(f"tasks still running after {timeout} s")
            await asyncio.sleep(interval)
