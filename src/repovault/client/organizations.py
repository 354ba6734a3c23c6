"""The organization calls (`/git/organizations/*`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from repovault.client.base import CallsBase, P, R, paging, some


class OrganizationCalls(CallsBase[R, P]):
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
        token_file: str | None = None,
        github_app: dict[str, Any] | None = None,
        ssh: dict[str, Any] | None = None,
    ) -> R:
        """`token`, or `token_file` (a path on the server, read at every use), or
        `github_app` (`{"appId", "installationId", "privateKey"}`, GitHub only); `ssh`
        (`{"privateKey", "knownHosts"?, "acceptNewHostKey"?}`): git transfers over SSH."""
        return self._call(
            "/git/organizations/add",
            some(
                driver=driver,
                name=name,
                apiUrl=api_url,
                token=token,
                username=username,
                defaultWorkerId=default_worker_id,
                autoAddNewRepositories=auto_add_new_repositories,
                isReadOnly=is_read_only,
                additionalTokens=additional_tokens,
                tokenFile=token_file,
                githubApp=github_app,
                ssh=ssh,
            ),
        )

    def modify_organization(self, id: str, **fields: Any) -> R:
        """Fields by their API names (`name`, `apiUrl`, `token`, `defaultWorkerId`, ...)."""
        return self._call("/git/organizations/modify", {"id": id, **fields})

    def remove_organization(self, id: str, *, remove_data: bool = False) -> R:
        return self._call("/git/organizations/remove", {"id": id, "removedata": remove_data})

    def list_organizations(self, **given: Any) -> R:
        return self._call("/git/organizations/getmany", paging(given))

    def iter_organizations(self, **given: Any) -> P:
        return self._pages("/git/organizations/getmany", paging(given), lambda r: r["result"])

    def export_organization(
        self,
        id: str | None = None,
        *,
        plan_id: str | None = None,
        at: int | str | None = None,
    ) -> R:
        """Queue ONE archive of every repository of the organization `id` (or of every
        repository the plan `plan_id` backed up), each as its newest snapshot taken at or
        before `at` (unix ms, or ISO 8601 text; default: now); `{"taskId"}`. Once the task
        has succeeded, `export_link` gives its download link and `download` fetches it."""
        return self._call("/git/organizations/export", some(id=id, planId=plan_id, at=at))

    def restore_organization(
        self,
        organization_id: str | None = None,
        *,
        to_organization: str,
        plan_id: str | None = None,
        at: str | int | datetime | None = None,
        name_prefix: str | None = None,
        overwrite: bool = False,
        dry_run: bool = False,
        concurrency: int | None = None,
    ) -> R:
        """Every repository of an organization (or of a plan: `plan_id`) as it was at `at`
        (an ISO time, UTC unless it says otherwise, unix ms or a datetime; default now),
        restored into the organization `to_organization`, each as `name_prefix` + its name;
        `{"batchId", "taskIds", "restores": [{"id", "name", "snapshotId", "taskId"}],
        "skipped"}`. The tasks run `concurrency` at a time (the server's default: 2)."""
        if isinstance(at, datetime):
            at = at.isoformat()
        target = some(
            organizationId=to_organization,
            namePrefix=name_prefix,
            overwrite=overwrite or None,
            dryRun=dry_run or None,
        )
        body = some(
            id=organization_id, planId=plan_id, at=at, target=target, concurrency=concurrency
        )
        return self._call("/git/organizations/restore", body)
