"""Resolves which repositories a plan backs up, and keeps `plan_repositories` in step.

    gitChoiceMode 1 (all):        every repository of the organization not removed, less
                                  the excluded ones
    gitChoiceMode 2 (individual): the selected repositories, and those of the selected
                                  Azure DevOps projects, less the excluded ones
    gitChoiceMode 3 (rules):      repositories matching a repository rule or lying in a
                                  project matching a project rule (OR, or AND with
                                  meetAllRules), less the excluded ones

Removed repositories (status 2) belong to no plan until they come back. Callers refresh a
plan after changing it and an organization after changing its repositories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, literal, select
from sqlalchemy.orm import Session

from repovault.common.enums import ChoiceMode, RuleChoice, RuleType
from repovault.common.paging import COMPARISONS
from repovault.organizations.models import Organization, Project, Wiki
from repovault.plans.models import (
    ITEM_EXCLUDED_REPOSITORY,
    ITEM_PROJECT,
    ITEM_REPOSITORY,
    ITEM_WIKI,
    Plan,
    PlanItem,
    PlanRepository,
)
from repovault.plans.settings import PlanSettings
from repovault.repositories.models import Repository


def _items(session: Session, plan_id: str, kind: str) -> list[str]:
    return list(
        session.scalars(
            select(PlanItem.item_id)
            .where(PlanItem.plan_id == plan_id, PlanItem.kind == kind)
            .order_by(PlanItem.position)
        )
    )


MISSING = object()
TEXT_OPERATORS = ("regex", "contains", "startswith", "endswith")


def _compare(actual: Any, operator: str, expected: Any) -> bool:
    if actual is MISSING:
        return False  # a property the item does not have (a typo) matches nothing
    if isinstance(actual, list):
        return _compare_list(actual, operator, expected)
    if actual is None and operator in TEXT_OPERATORS:
        actual = ""  # an empty field: "None" is no text of the item's
    if operator == "in":
        return isinstance(expected, list) and actual in expected
    if operator == "regex":
        return re.search(str(expected), str(actual)) is not None
    if operator in ("contains", "startswith", "endswith"):
        a, e = str(actual).lower(), str(expected).lower()
        return {"contains": e in a, "startswith": a.startswith(e), "endswith": a.endswith(e)}[
            operator
        ]
    if isinstance(actual, bool) and isinstance(expected, str):
        expected = expected.strip().lower() == "true"
    compare = COMPARISONS.get(operator)
    try:
        return compare is not None and bool(compare(actual, expected))
    except TypeError:
        return False


def _compare_list(actual: list[Any], operator: str, expected: Any) -> bool:
    """A list (topics): `eq` holds the value, `neq` does not, `in` holds one of the values;
    the text operators and `regex` hold for one of its items."""
    if operator == "eq":
        return expected in actual
    if operator == "neq":
        return expected not in actual
    if operator == "in":
        return isinstance(expected, list) and any(v in actual for v in expected)
    return any(_compare(item, operator, expected) for item in actual)


def rule_matches(rule: dict[str, Any], item: dict[str, Any]) -> bool:
    """Does an item (its API fields, keys lower-cased) satisfy a rule of the plan DTO?"""
    if rule.get("choiceMode", RuleChoice.ALL) == RuleChoice.ALL:
        return True
    choice = rule.get("ruleChoice") or {}
    filters = choice.get("rules") or []
    if not filters:
        return False
    results = (
        _compare(item.get(str(f["property"]).lower(), MISSING), f["operator"], f.get("value"))
        for f in filters
    )
    return all(results) if choice.get("meetAllRules") else any(results)


# A repository's properties a rule may name (lower case), as the API's list names them.
_RULE_COLUMNS: dict[str, Any] = {
    "id": Repository.id,
    "name": Repository.name,
    "serverid": Repository.server_id,
    "ispublic": Repository.is_public,
    "url": Repository.url,
    "isfork": Repository.is_fork,
    "isarchived": Repository.is_archived,
    "topics": Repository.topics,
    "language": Repository.language,
    "sizekb": Repository.size_kb,
    "defaultbranch": Repository.default_branch,
    "description": Repository.description,
    "lastpushat": Repository.last_push_at,
}


def _rule_members(session: Session, plan: Plan) -> set[str]:
    rules = PlanSettings.of(plan).rules
    repo_rules = [r for r in rules if r.get("type") == RuleType.REPOSITORY]
    project_rules = [r for r in rules if r.get("type") == RuleType.PROJECT]
    members: set[str] = set()
    projects: set[str] = set()
    if project_rules:
        for p in session.scalars(
            select(Project).where(Project.organization_id == plan.organization_id)
        ):
            project = {"id": p.id, "name": p.name, "serverid": p.server_id}
            if any(rule_matches(rule, project) for rule in project_rules):
                projects.add(p.id)
    rows = session.execute(
        select(*_RULE_COLUMNS.values(), Repository.project_id).where(
            Repository.organization_id == plan.organization_id, ~Repository.is_removed
        )
    )
    for row in rows:
        fields: dict[str, Any] = dict(zip(_RULE_COLUMNS, row, strict=False))
        rid, project_id = row[0], row[-1]
        if project_id in projects or any(rule_matches(rule, fields) for rule in repo_rules):
            members.add(rid)
    return members


def _individual_members(session: Session, plan: Plan) -> set[str]:
    selected = _items(session, plan.id, ITEM_REPOSITORY)
    projects = _items(session, plan.id, ITEM_PROJECT)
    stmt = select(Repository.id).where(
        Repository.organization_id == plan.organization_id, ~Repository.is_removed
    )
    members = set(session.scalars(stmt.where(Repository.id.in_(selected))))
    if projects:
        members |= set(session.scalars(stmt.where(Repository.project_id.in_(projects))))
    return members


def refresh_plan(session: Session, plan: Plan) -> None:
    session.execute(delete(PlanRepository).where(PlanRepository.plan_id == plan.id))
    excluded = select(PlanItem.item_id).where(
        PlanItem.plan_id == plan.id, PlanItem.kind == ITEM_EXCLUDED_REPOSITORY
    )
    if plan.git_choice_mode == ChoiceMode.ALL:
        # Set-based, so a plan over a hundred thousand repositories costs one statement.
        session.execute(
            insert(PlanRepository).from_select(
                ["plan_id", "repository_id"],
                select(literal(plan.id), Repository.id).where(
                    Repository.organization_id == plan.organization_id,
                    ~Repository.is_removed,
                    Repository.id.not_in(excluded),
                ),
            )
        )
        return
    members = (
        _individual_members(session, plan)
        if plan.git_choice_mode == ChoiceMode.INDIVIDUAL
        else _rule_members(session, plan)
    )
    members -= set(session.scalars(excluded))
    _insert(session, plan.id, members)


def _insert(session: Session, plan_id: str, repository_ids: Iterable[str]) -> None:
    rows = [{"plan_id": plan_id, "repository_id": rid} for rid in sorted(repository_ids)]
    if rows:
        session.execute(insert(PlanRepository), rows)


def plan_wikis(session: Session, plan: Plan) -> list[Wiki]:
    """The wikis (Azure DevOps) a plan backs up: all of the organization's (mode 1), the
    selected ones and those of the selected projects (mode 2), or those matching a wiki rule
    or lying in a project matching a project rule (mode 3)."""
    wikis = list(
        session.scalars(
            select(Wiki).where(Wiki.organization_id == plan.organization_id).order_by(Wiki.name)
        )
    )
    if plan.git_choice_mode == ChoiceMode.ALL or not wikis:
        return wikis
    if plan.git_choice_mode == ChoiceMode.INDIVIDUAL:
        chosen = set(_items(session, plan.id, ITEM_WIKI))
        projects = set(_items(session, plan.id, ITEM_PROJECT))
        return [w for w in wikis if w.id in chosen or (w.project_id in projects)]
    rules = PlanSettings.of(plan).rules
    wiki_rules = [r for r in rules if r.get("type") == RuleType.WIKI]
    project_rules = [r for r in rules if r.get("type") == RuleType.PROJECT]
    projects = {
        p.id
        for p in session.scalars(
            select(Project).where(Project.organization_id == plan.organization_id)
        )
        if any(
            rule_matches(rule, {"id": p.id, "name": p.name, "serverid": p.server_id})
            for rule in project_rules
        )
    }
    return [
        w
        for w in wikis
        if w.project_id in projects
        or any(
            rule_matches(rule, {"id": w.id, "name": w.name, "serverid": w.server_id, "url": w.url})
            for rule in wiki_rules
        )
    ]


def refresh_organization(session: Session, organization_id: str) -> None:
    for plan in session.scalars(select(Plan).where(Plan.organization_id == organization_id)):
        refresh_plan(session, plan)


def after_sync(session: Session, org: Organization, added: list[str]) -> None:
    """A synchronization added `added`: they join the organization's all-repository and
    rule-based plans only when it auto-adds new repositories (else they are recorded as
    excluded from those plans); then every plan's membership is refreshed."""
    if added and not org.auto_add_new_repositories:
        plans = session.scalars(
            select(Plan.id).where(
                Plan.organization_id == org.id, Plan.git_choice_mode != ChoiceMode.INDIVIDUAL
            )
        ).all()
        session.add_all(
            PlanItem(plan_id=plan, kind=ITEM_EXCLUDED_REPOSITORY, item_id=repo_id)
            for plan in plans
            for repo_id in added
        )
        session.flush()
    refresh_organization(session, org.id)
