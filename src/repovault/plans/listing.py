"""What the API shows of plans: the full plan (`/plans/get`) and the plans of an
organization with their repositories (`/plans/listassignedtoorganization`)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from repovault.common.enums import ChoiceMode
from repovault.common.paging import Column, PageOf, PageRequest, fetch
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
from repovault.plans.schemas import AssignedPlan, EncryptionOut, PlanOut


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


def plan_out(session: Session, plan: Plan) -> PlanOut:
    """The full plan as `/plans/get` answers it; the password is never included. The settings
    parts are returned as they were stored from the request."""
    items = _items_by_kind(session, [plan.id])
    s = plan.settings
    return PlanOut(
        id=plan.id,
        is_active=plan.is_active,
        name=plan.name,
        type=plan.type,
        backup_type=plan.backup_type,
        storage_id=plan.storage_id,
        worker_id=plan.worker_id,
        organization_id=plan.organization_id,
        include_metadata=plan.include_metadata,
        include_all_repositories=plan.git_choice_mode == ChoiceMode.ALL,
        git_choice_mode=plan.git_choice_mode,
        repositories_ids=items[(plan.id, ITEM_REPOSITORY)],
        excluded_repositories_ids=items[(plan.id, ITEM_EXCLUDED_REPOSITORY)],
        projects_ids=items[(plan.id, ITEM_PROJECT)],
        wikis_ids=items[(plan.id, ITEM_WIKI)],
        rules=s.get("rules", []),
        schedule=s.get("schedule"),
        advanced_options=s.get("advancedOptions", {}),
        compression_settings=s.get("compressionSettings"),
        encryption_settings=(
            None
            if plan.encryption_algorithm is None
            else EncryptionOut(algorithm=plan.encryption_algorithm, password=None)
        ),
        custom_actions=s.get("customActions"),
        notification_settings=s.get("notificationSettings"),
        use_extra_credentials=plan.use_extra_credentials,
        additional_credentials=s.get("additionalCredentials", []),
        resource_kinds_to_ignore=s.get("resourceKindsToIgnore", []),
        delta_settings=s.get("deltaSettings"),
        filtering_settings=s.get("filteringSettings"),
        ignore_corrupted_attachments=plan.ignore_corrupted_attachments,
    )


ASSIGNED_FIELDS = {
    "id": Column(Plan.id, "id"),
    "name": Column(Plan.name, "str"),
    "includeallrepositories": Column(Plan.git_choice_mode == ChoiceMode.ALL, "bool"),
}


def list_assigned(
    session: Session, *, organization_id: str, request: PageRequest
) -> PageOf[AssignedPlan]:
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
    return page.of(
        AssignedPlan,
        [
            AssignedPlan(
                id=p.id,
                name=p.name,
                include_all_repositories=p.git_choice_mode == ChoiceMode.ALL,
                repository_ids=ids[p.id],
            )
            for p in plans
        ],
    )
