"""The sync `Client` and the `AsyncClient`: how a call is made (one POST with the token, the
answer through `errors.raise_for`), how pages are walked, logging in, waiting for tasks and
downloading an export's archive through its signed link.

Every call itself is written once, in the groups the two clients inherit (`_Calls`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from repovault.client.accounts import AccountCalls
from repovault.client.base import FINISHED, UNSUCCESSFUL, Json, P, R, next_page
from repovault.client.errors import TaskFailed, raise_for
from repovault.client.operations import OperationCalls
from repovault.client.organizations import OrganizationCalls
from repovault.client.plans import PlanCalls
from repovault.client.repositories import RepositoryCalls

DOWNLOAD_BLOCK = 1024 * 1024


def ended(tasks: list[Json], check: bool) -> list[Json]:
    """The ended tasks; with `check`, `TaskFailed` when one did not succeed."""
    failed = [task for task in tasks if task["status"] in UNSUCCESSFUL]
    if check and failed:
        raise TaskFailed(tasks, failed)
    return tasks


class _Calls(
    AccountCalls[R, P],
    OrganizationCalls[R, P],
    RepositoryCalls[R, P],
    PlanCalls[R, P],
    OperationCalls[R, P],
):
    """Every call of the API, once; the sync and async clients say how a call is made."""


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
        return raise_for(self.http.post(path, json=body or {}, headers=headers))

    def _pages(self, path: str, body: Json, items: Callable[[Json], list[Json]]) -> Iterator[Json]:
        current: Json | None = {"limit": 100, **body}
        while current is not None:
            reply = self._call(path, current)
            yield from items(reply)
            current = next_page(current, reply)

    def login(self, email: str, password: str, *, remember_me: bool = True) -> Json:
        reply: Json = self._call(
            "/account/login", {"email": email, "password": password, "rememberMe": remember_me}
        )
        self.token = reply["accessToken"]
        return reply

    def download(self, url: str, target: Path) -> int:
        """Stream what a signed link (`export_link`) names into the file `target`; the bytes
        written. The link is the authentication: no token is sent."""
        with self.http.stream("GET", url) as response:
            if response.status_code != 200:
                response.read()
                raise_for(response)
            written = 0
            with target.open("wb") as out:
                for block in response.iter_bytes(DOWNLOAD_BLOCK):
                    out.write(block)
                    written += len(block)
        return written

    def wait_for_tasks(
        self,
        task_ids: list[str],
        *,
        timeout: float = 3600,
        interval: float = 1.0,
        on_update: Callable[[list[Json]], None] | None = None,
        check: bool = True,
    ) -> list[Json]:
        """Poll until every task has ended; the tasks as `/tasks/get` gives them. With
        `check` (the default), raises `TaskFailed` when one ended failed, canceled or not
        started; `check=False` returns them whatever their outcome."""
        deadline = time.monotonic() + timeout
        while True:
            tasks = [self.get_task(task_id) for task_id in task_ids]
            if on_update is not None:
                on_update(tasks)
            if all(t["status"] in FINISHED for t in tasks):
                return ended(tasks, check)
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
        return raise_for(await self.http.post(path, json=body or {}, headers=headers))

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
            current = next_page(current, reply)

    async def login(self, email: str, password: str, *, remember_me: bool = True) -> Json:
        reply: Json = await self._post(
            "/account/login", {"email": email, "password": password, "rememberMe": remember_me}
        )
        self.token = reply["accessToken"]
        return reply

    async def download(self, url: str, target: Path) -> int:
        """As `Client.download`; the file is written by this thread (blocks of 1 MiB)."""
        async with self.http.stream("GET", url) as response:
            if response.status_code != 200:
                await response.aread()
                raise_for(response)
            written = 0
            with target.open("wb") as out:
                async for block in response.aiter_bytes(DOWNLOAD_BLOCK):
                    out.write(block)
                    written += len(block)
        return written

    async def wait_for_tasks(
        self,
        task_ids: list[str],
        *,
        timeout: float = 3600,
        interval: float = 1.0,
        check: bool = True,
    ) -> list[Json]:
        """As `Client.wait_for_tasks`."""
        deadline = time.monotonic() + timeout
        while True:
            tasks = [await self.get_task(task_id) for task_id in task_ids]
            if all(t["status"] in FINISHED for t in tasks):
                return ended(tasks, check)
            if time.monotonic() > deadline:
                raise TimeoutError(f"tasks still running after {timeout} s")
            await asyncio.sleep(interval)
