"""What the API shows of plans: the full plan DTO (`/plans/get`) and the plans of an
organization with their repositories (`/plans/listassignedtoorganization`)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.common.enums import ChoiceMode
from repovault.common.paging import Column, Page, PageRequest, fetch
from repovault.organizations.service import get_organization
from repovault.plans.models import (
    ITEM_EXCLUDED_REPOSITORY,
    ITEM_PROJECT,
    ITEM_REPOSITORY,
    ITEM_WIKI,
    Plan,
    PlanItem,
    PlanRepository,
)


def _items_by_kind(session: Session, plan_ids: list[str]) -> dict[tuple[str, str], list[str]]:
    result: dict[tuple[str, str], list[str]] = defaultdict(list)
    if plan_ids:
        rows = session.execute(
            select(PlanItem.plan_id, PlanItem.kind, PlanItem.item_id)
            .where(PlanItem.plan_id.in_(plan_ids))
            .order_by(PlanItem.plan_id, PlanItem.kind, PlanItem.position)
        )
        for plan_id, kind, item_id in rows:
            result[(plan_id, kind)].append(item_id)
    return result


def plan_dto(session: Session, plan: Plan) -> dict[str, Any]:
    """The full plan DTO, as `/plans/get` returns it; the password is never included."""
    items = _items_by_kind(session, [plan.id])
    s = plan.settings
    return {
        "id": plan.id,
        "isActive": plan.is_active,
        "name": plan.name,
        "type": plan.type,
        "backupType": plan.backup_type,
        "storageId": plan.storage_id,
        "workerId": plan.worker_id,
        "organizationId": plan.organization_id,
        "includeMetadata": plan.include_metadata,
        "includeAllRepositories": plan.git_choice_mode == ChoiceMode.ALL,
        "gitChoiceMode": plan.git_choice_mode,
        "repositoriesIds": items[(plan.id, ITEM_REPOSITORY)],
        "excludedRepositoriesIds": items[(plan.id, ITEM_EXCLUDED_REPOSITORY)],
        "projectsIds": items[(plan.id, ITEM_PROJECT)],
        "wikisIds": items[(plan.id, ITEM_WIKI)],
        "rules": s.get("rules", []),
        "schedule": s.get("schedule"),
        "advancedOptions": s.get("advancedOptions", {}),
        "compressionSettings": s.get("compressionSettings"),
        "encryptionSettings": (
            None
            if plan.encryption_algorithm is None
            else {"algorithm": plan.encryption_algorithm, "password": None}
        ),
        "customActions": s.get("customActions"),
        "notificationSettings": s.get("notificationSettings"),
        "useExtraCredentials": plan.use_extra_credentials,
        "additionalCredentials": s.get("additionalCredentials", []),
        "resourceKindsToIgnore": s.get("resourceKindsToIgnore", []),
        "deltaSettings": s.get("deltaSettings"),
        "filteringSettings": s.get("filteringSettings"),
        "ignoreCorruptedAttachments": plan.ignore_corrupted_attachments,
    }


ASSIGNED_FIELDS = {
    "id": Column(Plan.id, "id"),
    "name": Column(Plan.name, "str"),
    "includeallrepositories": Column(Plan.git_choice_mode == ChoiceMode.ALL, "bool"),
}


def list_assigned(
    session: Session, *, organization_id: str, request: PageRequest
) -> tuple[Page, dict[str, list[str]]]:
    """A page of the organization's plans and, per plan, its repository ids: the selection
    for individual plans, the resolved members for rule-based ones, none for "all"."""
    org = get_organization(session, organization_id)
    stmt = select(Plan).where(Plan.organization_id == org.id)
    page = fetch(session, stmt, request, ASSIGNED_FIELDS, Plan.id)
    plans = [row[0] for row in page.rows]
    ids: dict[str, list[str]] = {p.id: [] for p in plans}
    individual = [p.id for p in plans if p.git_choice_mode == ChoiceMode.INDIVIDUAL]
    for (plan_id, _kind), items in _items_by_kind(session, individual).items():
        if _kind == ITEM_REPOSITORY:
            ids[plan_id] = items
    by_rules = [p.id for p in plans if p.git_choice_mode == ChoiceMode.RULES]
    if by_rules:
        rows = session.execute(
            select(PlanRepository.plan_id, PlanRepository.repository_id)
            .where(PlanRepository.plan_id.in_(by_rules))
            .order_by(PlanRepository.plan_id, PlanRepository.repository_id)
        )
        for plan_id, repository_id in rows:
            ids[plan_id].append(repository_id)
    return page, ids
