"""Which repositories (and wikis) a plan backs up (`plans/membership.py`), called directly:
the rules, the three choice modes, and how a synchronization's new repositories join."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from repovault.common.enums import ChoiceMode, Driver, RuleChoice, RuleType
from repovault.plans import membership
from repovault.plans.models import ITEM_EXCLUDED_REPOSITORY, Plan, PlanItem
from tests.tasks.rows import Rows


def rule(
    *filters: tuple[str, str, Any], kind: int = RuleType.REPOSITORY, meet_all: bool = False
) -> dict[str, Any]:
    """A plan rule as the API stores it: filters of (property, operator, value)."""
    return {
        "type": kind,
        "choiceMode": RuleChoice.BY_FILTERS,
        "ruleChoice": {
            "meetAllRules": meet_all,
            "rules": [{"property": p, "operator": o, "value": v} for p, o, v in filters],
        },
    }


API = {"id": "r1", "name": "api-server", "ispublic": True, "url": "https://x/api.git"}

# ---- rule_matches -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "matches"),
    [
        ("regex", "^api-", True),
        ("regex", "^web", False),
        ("contains", "SERVER", True),  # the text operators ignore case
        ("startswith", "Api", True),
        ("endswith", "-client", False),
        ("in", ["web", "api-server"], True),
        ("in", "api-server", False),  # `in` takes a list
        ("eq", "api-server", True),
        ("neq", "api-server", False),
        ("gt", "api", True),
        ("lt", 3, False),  # a name and a number do not compare
    ],
)
def test_a_filter_compares_the_items_property(operator: str, value: Any, matches: bool) -> None:
    assert membership.rule_matches(rule(("Name", operator, value)), API) is matches


def test_a_boolean_property_compares_with_true_or_false_as_text() -> None:
    assert membership.rule_matches(rule(("IsPublic", "eq", " True ")), API)
    assert not membership.rule_matches(rule(("IsPublic", "eq", "false")), API)


def test_filters_combine_with_or_unless_every_one_must_hold() -> None:
    either = rule(("name", "contains", "api"), ("name", "contains", "web"))
    both = rule(("name", "contains", "api"), ("name", "contains", "web"), meet_all=True)
    assert membership.rule_matches(either, API)
    assert not membership.rule_matches(both, API)


def test_a_rule_for_all_items_matches_all_and_one_without_filters_none() -> None:
    assert membership.rule_matches({"type": RuleType.REPOSITORY}, API)
    assert membership.rule_matches({"choiceMode": RuleChoice.ALL, "ruleChoice": None}, API)
    assert not membership.rule_matches(rule(), API)


def test_a_filter_on_a_property_the_item_lacks_matches_nothing() -> None:
    assert not membership.rule_matches(rule(("Nmae", "contains", "on")), API)
    assert not membership.rule_matches(rule(("Nmae", "regex", ".")), API)


# ---- refresh_plan -------------------------------------------------------------------------


def test_an_all_repositories_plan_takes_every_present_repository_but_the_excluded(
    rows: Rows,
) -> None:
    org, other = rows.org(), rows.org()
    a, b, excluded = rows.repo(org), rows.repo(org), rows.repo(org)
    rows.repo(org, removed=True)
    rows.repo(other)
    plan = rows.plan(org, mode=ChoiceMode.ALL, excluded=[excluded])
    assert rows.members(plan) == {a.id, b.id}
    c = rows.repo(org)
    a.is_removed = True
    rows.session.flush()
    membership.refresh_plan(rows.session, plan)
    assert rows.members(plan) == {b.id, c.id}


def test_an_individual_plan_takes_the_selected_and_those_of_selected_projects(
    rows: Rows,
) -> None:
    org = rows.org(driver=Driver.AZURE)
    chosen_project, other_project = rows.project(org, "Chosen"), rows.project(org, "Other")
    selected = rows.repo(org)
    in_project = rows.repo(org, project=chosen_project)
    excluded = rows.repo(org, project=chosen_project)
    gone = rows.repo(org, removed=True)
    rows.repo(org)
    rows.repo(org, project=other_project)
    plan = rows.plan(org, repos=[selected, gone], projects=[chosen_project], excluded=[excluded])
    assert rows.members(plan) == {selected.id, in_project.id}


def test_a_rule_based_plan_takes_matching_repositories_and_those_of_matching_projects(
    rows: Rows,
) -> None:
    org = rows.org(driver=Driver.AZURE)
    platform = rows.project(org, "Platform")
    rows.project(org, "Marketing")
    api, api_excluded = rows.repo(org, "api-gateway"), rows.repo(org, "api-legacy")
    in_platform = rows.repo(org, "infra", project=platform)
    rows.repo(org, "website")
    rows.repo(org, "api-old", removed=True)
    plan = rows.plan(
        org,
        mode=ChoiceMode.RULES,
        rules=[
            rule(("name", "startswith", "api-")),
            rule(("name", "eq", "Platform"), kind=RuleType.PROJECT),
        ],
        excluded=[api_excluded],
    )
    assert rows.members(plan) == {api.id, in_platform.id}


def test_the_wikis_of_a_plan_follow_its_choice_mode(rows: Rows) -> None:
    org = rows.org(driver=Driver.AZURE)
    docs = rows.project(org, "Docs")
    handbook, api_wiki = rows.wiki(org, "Handbook", docs), rows.wiki(org, "API wiki")
    ops = rows.wiki(org, "Ops")

    def names(plan: Plan) -> list[str]:
        return [w.name for w in membership.plan_wikis(rows.session, plan)]

    assert names(rows.plan(org, mode=ChoiceMode.ALL)) == ["API wiki", "Handbook", "Ops"]
    assert names(rows.plan(org, projects=[docs], wikis=[ops])) == ["Handbook", "Ops"]
    by_rule = rows.plan(
        org, mode=ChoiceMode.RULES, rules=[rule(("name", "contains", "api"), kind=RuleType.WIKI)]
    )
    assert names(by_rule) == [api_wiki.name]
    assert handbook.project_id == docs.id


# ---- after_sync ---------------------------------------------------------------------------


def _excluded(rows: Rows, plan_id: str) -> set[str]:
    return set(
        rows.session.scalars(
            select(PlanItem.item_id).where(
                PlanItem.plan_id == plan_id, PlanItem.kind == ITEM_EXCLUDED_REPOSITORY
            )
        )
    )


def test_new_repositories_are_excluded_when_the_organization_does_not_auto_add(
    rows: Rows,
) -> None:
    org = rows.org(auto_add=False)
    old = rows.repo(org, "api-old")
    everything = rows.plan(org, mode=ChoiceMode.ALL)
    by_rule = rows.plan(org, mode=ChoiceMode.RULES, rules=[rule(("name", "contains", "api"))])
    individual = rows.plan(org, repos=[old])
    new = rows.repo(org, "api-new")  # what the synchronization just added
    membership.after_sync(rows.session, org, [new.id])
    assert _excluded(rows, everything.id) == _excluded(rows, by_rule.id) == {new.id}
    assert _excluded(rows, individual.id) == set()
    assert rows.members(everything) == rows.members(by_rule) == {old.id}
    assert rows.members(individual) == {old.id}


def test_new_repositories_join_when_the_organization_auto_adds(rows: Rows) -> None:
    org = rows.org(auto_add=True)
    old = rows.repo(org, "api-old")
    everything = rows.plan(org, mode=ChoiceMode.ALL)
    by_rule = rows.plan(org, mode=ChoiceMode.RULES, rules=[rule(("name", "contains", "api"))])
    new = rows.repo(org, "api-new")
    membership.after_sync(rows.session, org, [new.id])
    assert _excluded(rows, everything.id) == _excluded(rows, by_rule.id) == set()
    assert rows.members(everything) == rows.members(by_rule) == {old.id, new.id}
