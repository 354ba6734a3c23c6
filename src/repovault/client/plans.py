"""The plan calls (`/plans/*`): create, modify, select, run and cancel."""

from __future__ import annotations

from typing import Any

from repovault.client.base import CallsBase, Json, P, R, paging, some


class PlanCalls(CallsBase[R, P]):
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

    def list_plans(self, organization_id: str, **given: Any) -> R:
        body = {"organizationId": organization_id, **paging(given)}
        return self._call("/plans/listassignedtoorganization", body)

    def iter_plans(self, organization_id: str, **given: Any) -> P:
        body = {"organizationId": organization_id, **paging(given)}
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
        return self._call("/plans/run", some(id=id, kind=kind))

    def cancel_plan(self, id: str) -> R:
        return self._call("/plans/cancel", {"id": id})
