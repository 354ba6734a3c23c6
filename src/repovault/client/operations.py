"""The calls about where and how backups run: storages (`/storages/*`), workers
(`/workers/*`) and tasks (`/tasks/*`)."""

from __future__ import annotations

from typing import Any

from repovault.client.base import CallsBase, Json, P, R, paging


class OperationCalls(CallsBase[R, P]):
    def add_storage(self, name: str, type: int, settings: Json) -> R:
        return self._call("/storages/add", {"name": name, "type": type, "settings": settings})

    def list_storages(self, **given: Any) -> R:
        return self._call("/storages/getmany", paging(given))

    def remove_storage(self, id: str) -> R:
        return self._call("/storages/remove", {"id": id})

    def list_workers(self, **given: Any) -> R:
        return self._call("/workers/getmany", paging(given))

    def list_tasks(self, **given: Any) -> R:
        return self._call("/tasks/getmany", paging(given))

    def iter_tasks(self, **given: Any) -> P:
        return self._pages("/tasks/getmany", paging(given), lambda r: r["result"])

    def get_task(self, id: str) -> R:
        return self._call("/tasks/get", {"id": id})

    def cancel_task(self, id: str) -> R:
        return self._call("/tasks/cancel", {"id": id})
