"""Attaching and detaching what an individually selected plan backs up: repositories (Git
plans) and projects (Azure DevOps plans)."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.enums import ChoiceMode
from repovault.common.errors import Conflict, InvalidInput
from repovault.common.lookup import get_by_id
from repovault.organizations.models import Project
from repovault.plans import membership
from repovault.plans.models import (
    ITEM_EXCLUDED_REPOSITORY,
    ITEM_PROJECT,
    ITEM_REPOSITORY,
    Plan,
    PlanItem,
)
from repovault.plans.service import get_plan
from repovault.repositories.models import Repository

log = structlog.get_logger(__name__)


def _add_item(session: Session, plan: Plan, kind: str, item_id: str) -> None:
    exists = session.get(PlanItem, (plan.id, kind, item_id))
    if exists is None:
        position = session.scalar(
            select(func.coalesce(func.max(PlanItem.position) + 1, 0)).where(
                PlanItem.plan_id == plan.id, PlanItem.kind == kind
            )
        )
        session.add(PlanItem(plan_id=plan.id, kind=kind, item_id=item_id, position=position))
        session.flush()


def _drop_item(session: Session, plan: Plan, kind: str, item_id: str) -> None:
    session.execute(
        delete(PlanItem).where(
            PlanItem.plan_id == plan.id, PlanItem.kind == kind, PlanItem.item_id == item_id
        )
    )


def _member(
    session: Session, plan: Plan, model: Any, member_id: str, *, code: str, what: str, field: str
) -> str:
    """The id of a repository or project of the plan's organization (404 / 400 PL3002)."""
    member = get_by_id(session, model, member_id, code=code, what=what)
    if member.organization_id != plan.organization_id:
        raise InvalidInput(
            codes.NOT_IN_PLAN_ORGANIZATION,
            f"{what} {member.id} does not belong to the plan's organization",
            errors={field: ["belongs to another organization"]},
        )
    member_id_checked: str = member.id
    return member_id_checked


def _plan_and_repository(session: Session, plan_id: str, repository_id: str) -> tuple[Plan, str]:
    plan = get_plan(session, plan_id)
    repo_id = _member(
        session,
        plan,
        Repository,
        repository_id,
        code=codes.REPOSITORY_NOT_FOUND,
        what="repository",
        field="repositoryId",
    )
    if plan.git_choice_mode == ChoiceMode.RULES:
        raise Conflict(
            codes.PLAN_NOT_INDIVIDUAL,
            "this plan selects repositories by rules; change its rules instead",
        )
    return plan, repo_id


def attach_repository(session: Session, *, plan_id: str, repository_id: str) -> None:
    """Select the repository (individual plans) or stop excluding it (all-repository plans)."""
    plan, repo_id = _plan_and_repository(session, plan_id, repository_id)
    if plan.git_choice_mode == ChoiceMode.ALL:
        _drop_item(session, plan, ITEM_EXCLUDED_REPOSITORY, repo_id)
    else:
        _add_item(session, plan, ITEM_REPOSITORY, repo_id)
    membership.refresh_plan(session, plan)
    log.info("repository attached", plan_id=plan.id, repository_id=repo_id)


def detach_repository(session: Session, *, plan_id: str, repository_id: str) -> None:
    """Unselect the repository (individual plans) or exclude it (all-repository plans)."""
    plan, repo_id = _plan_and_repository(session, plan_id, repository_id)
    if plan.git_choice_mode == ChoiceMode.ALL:
        _add_item(session, plan, ITEM_EXCLUDED_REPOSITORY, repo_id)
    else:
        _drop_item(session, plan, ITEM_REPOSITORY, repo_id)
    membership.refresh_plan(session, plan)
    log.info("repository detached", plan_id=plan.id, repository_id=repo_id)


def _plan_and_project(session: Session, plan_id: str, project_id: str) -> tuple[Plan, str]:
    plan = get_plan(session, plan_id)
    pid = _member(
        session,
        plan,
        Project,
        project_id,
        code=codes.PROJECT_NOT_FOUND,
        what="project",
        field="projectId",
    )
    if plan.git_choice_mode != ChoiceMode.INDIVIDUAL:
        raise Conflict(
            codes.PLAN_NOT_INDIVIDUAL,
            "projects are attached only to plans with individual selection",
        )
    return plan, pid


def attach_project(session: Session, *, plan_id: str, project_id: str) -> None:
    plan, pid = _plan_and_project(session, plan_id, project_id)
    _add_item(session, plan, ITEM_PROJECT, pid)
    membership.refresh_plan(session, plan)
    log.info("project attached", plan_id=plan.id, project_id=pid)


def detach_project(session: Session, *, plan_id: str, project_id: str) -> None:
    plan, pid = _plan_and_project(session, plan_id, project_id)
    _drop_item(session, plan, ITEM_PROJECT, pid)
    membership.refresh_plan(session, plan)
    log.info("project detached", plan_id=plan.id, project_id=pid)
