"""The repository calls (`/git/repositories/*`): the list, licences, synchronization, the
backups' snapshots, restore, verify and export, and what a snapshot holds (its documents, issues,
pull requests and releases)."""

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
        """`target`: {"kind": "directory", "path", "bare"}, {"kind": "url", "url", "token"}
        or {"kind": "platform", "organizationId", "name", "overwrite", "dryRun"}.
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

    def restore_into_organization(
        self,
        repository_id: str,
        organization_id: str,
        *,
        name: str | None = None,
        snapshot_id: str | None = None,
        overwrite: bool = False,
        dry_run: bool = False,
    ) -> R:
        """A snapshot (the newest when None) as a new repository `name` (default: its own
        name) of the organization `organization_id` on its platform; `{"taskId"}`. The
        task's `result` says what it created (`dryRun`: what it would create)."""
        target = some(
            kind="platform",
            organizationId=organization_id,
            name=name,
            overwrite=overwrite or None,
            dryRun=dry_run or None,
        )
        return self.restore(repository_id, target, snapshot_id=snapshot_id)

    def verify(self, repository_id: str, *, snapshot_id: str | None = None) -> R:
        return self._call(
            "/git/repositories/verify", some(id=repository_id, snapshotId=snapshot_id)
        )

    def export(
        self, repository_id: str, *, snapshot_id: str | None = None, at: int | None = None
    ) -> R:
        """Queue an export of a snapshot (the newest when None, or the newest taken at or
        before `at`, unix ms) as a self-contained archive; `{"taskId"}`. Once the task has
        succeeded, `export_link` gives its download link."""
        body = some(id=repository_id, snapshotId=snapshot_id, at=at)
        return self._call("/git/repositories/export", body)

    def export_many(
        self,
        *,
        organization_id: str | None = None,
        plan_id: str | None = None,
        at: int | None = None,
    ) -> R:
        """One export per backed-up repository of an organization or a plan, each the newest
        snapshot at or before `at` (unix ms); `{"taskIds", "skipped"}`."""
        body = some(organizationId=organization_id, planId=plan_id, at=at)
        return self._call("/git/repositories/exportmany", body)

    def export_link(self, task_id: str) -> R:
        """`{"url", "expiresAt", "fileName", "sizeBytes", "sha256"}`: `url` downloads the
        archive without a token until `expiresAt` (the clients' `download` fetches it)."""
        return self._call("/git/repositories/exportlink", {"taskId": task_id})

    # What a snapshot holds; `snapshot_id` None reads the newest snapshot.

    def snapshot_documents(self, repository_id: str, *, snapshot_id: str | None = None) -> R:
        return self._call(
            "/git/repositories/snapshotdocuments", some(id=repository_id, snapshotId=snapshot_id)
        )

    def issues(self, repository_id: str, **given: Any) -> R:
        """A page of issues; `given`: `snapshot_id`, `search` and the paging fields."""
        return self._call("/git/repositories/issues", _contents(repository_id, given))

    def iter_issues(self, repository_id: str, **given: Any) -> P:
        body = _contents(repository_id, given)
        return self._pages("/git/repositories/issues", body, lambda r: r["result"])

    def issue(self, repository_id: str, number: int, *, snapshot_id: str | None = None) -> R:
        """One issue as stored, with its comments and its conversation as plain text."""
        body = some(id=repository_id, snapshotId=snapshot_id, number=number)
        return self._call("/git/repositories/issue", body)

    def pull_requests(self, repository_id: str, **given: Any) -> R:
        return self._call("/git/repositories/pullrequests", _contents(repository_id, given))

    def iter_pull_requests(self, repository_id: str, **given: Any) -> P:
        body = _contents(repository_id, given)
        return self._pages("/git/repositories/pullrequests", body, lambda r: r["result"])

    def pull_request(self, repository_id: str, number: int, *, snapshot_id: str | None = None) -> R:
        """One pull request as stored, with its comments, reviews and review comments."""
        body = some(id=repository_id, snapshotId=snapshot_id, number=number)
        return self._call("/git/repositories/pullrequest", body)

    def releases(self, repository_id: str, **given: Any) -> R:
        return self._call("/git/repositories/releases", _contents(repository_id, given))

    def iter_releases(self, repository_id: str, **given: Any) -> P:
        body = _contents(repository_id, given)
        return self._pages("/git/repositories/releases", body, lambda r: r["result"])

    def release(self, repository_id: str, tag: str, *, snapshot_id: str | None = None) -> R:
        body = some(id=repository_id, snapshotId=snapshot_id, tag=tag)
        return self._call("/git/repositories/release", body)


def _contents(repository_id: str, given: dict[str, Any]) -> Json:
    """The body of a list of what a snapshot holds: `snapshot_id`, `search`, paging."""
    snapshot_id, search = given.pop("snapshot_id", None), given.pop("search", None)
    return {**some(id=repository_id, snapshotId=snapshot_id, search=search), **paging(given)}
