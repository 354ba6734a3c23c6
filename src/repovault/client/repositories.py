"""The repository calls (`/git/repositories/*`): the list, licences, synchronization, and the
backups' snapshots, restore and verify."""

from __future__ import annotations

from typing import Any

from repovault.client.base import CallsBase, Json, P, R, paging, some


class RepositoryCalls(CallsBase[R, P]):
    def list_repositories(self, organization_id: str, **given: Any) -> R:
        body = {"id": organization_id, **paging(given)}
        return self._call("/git/repositories/getmany", body)

    def iter_repositories(self, organization_id: str, **given: Any) -> P:
        body = {"id": organization_id, **paging(given)}
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
            some(
                id=repository_id,
                snapshotId=snapshot_id,
                target=target,
                allowEarlier=allow_earlier or None,
            ),
        )

    def verify(self, repository_id: str, *, snapshot_id: str | None = None) -> R:
        return self._call(
            "/git/repositories/verify", some(id=repository_id, snapshotId=snapshot_id)
        )
