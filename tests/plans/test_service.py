"""Creating and modifying plans (`plans/service.py`), called directly: the name is required,
the organization is fixed, the worker defaults to the organization's, absent fields keep
their values."""

from __future__ import annotations

from typing import Any

import pytest

from repovault.common.enums import BackupType, ChoiceMode
from repovault.common.errors import InvalidInput, NotFound
from repovault.organizations.models import Organization
from repovault.plans import service
from repovault.plans.models import Plan
from repovault.plans.schemas import PlanCreate, PlanModify
from tests.tasks.rows import Rows


def _create(rows: Rows, org: Organization, **fields: Any) -> Plan:
    body = PlanCreate.model_validate({"name": "nightly", "organizationId": org.id, **fields})
    return service.create_plan(
        rows.session,
        rows.runtime.box,
        body=body,
        backup_type=BackupType.GIT,
        embedded_worker=rows.runtime.settings.worker_id,
    )


def _modify(rows: Rows, plan: Plan, **fields: Any) -> Plan:
    body = PlanModify.model_validate({"id": plan.id, **fields})
    return service.modify_plan(
        rows.session,
        rows.runtime.box,
        plan_id=plan.id,
        body=body,
        backup_type=BackupType.GIT,
        embedded_worker=rows.runtime.settings.worker_id,
    )


def test_a_plan_needs_a_name(rows: Rows) -> None:
    org = rows.org()
    with pytest.raises(InvalidInput) as refused:
        _create(rows, org, name="   ")
    assert list(refused.value.errors) == ["name"]
    plan = _create(rows, org, name="  nightly  ")
    assert plan.name == "nightly"
    with pytest.raises(InvalidInput) as emptied:
        _modify(rows, plan, name="")
    assert list(emptied.value.errors) == ["name"]


def test_a_plans_organization_cannot_change(rows: Rows) -> None:
    org, other = rows.org(), rows.org()
    plan = _create(rows, org)
    with pytest.raises(InvalidInput) as refused:
        _modify(rows, plan, organizationId=other.id)
    assert list(refused.value.errors) == ["organizationId"]
    _modify(rows, plan, organizationId=org.id.upper(), name="same organization")
    assert (plan.organization_id, plan.name) == (org.id, "same organization")


def test_the_worker_defaults_to_the_organizations_else_the_embedded_one(rows: Rows) -> None:
    own, chosen = rows.worker(), rows.worker()
    assert _create(rows, rows.org(default_worker=own)).worker_id == own
    assert _create(rows, rows.org()).worker_id == rows.embedded
    explicit = _create(rows, rows.org(default_worker=own), workerId=chosen)
    assert explicit.worker_id == chosen
    with pytest.raises(NotFound):
        _create(rows, rows.org(), workerId="6f1c1b1e-0000-4000-8000-000000000000")


def test_modify_keeps_what_the_request_leaves_out(rows: Rows) -> None:
    org = rows.org()
    a, b = rows.repo(org), rows.repo(org)
    plan = _create(
        rows,
        org,
        repositoriesIds=[a.id, b.id],
        isActive=False,
        advancedOptions={"maxConcurrentTasks": 2},
    )
    worker = plan.worker_id
    _modify(rows, plan, name="renamed")
    assert (plan.name, plan.is_active, plan.worker_id) == ("renamed", False, worker)
    assert plan.settings["advancedOptions"]["maxConcurrentTasks"] == 2
    assert rows.members(plan) == {a.id, b.id}
    _modify(rows, plan, repositoriesIds=[b.id])
    assert rows.members(plan) == {b.id}


def test_include_all_repositories_switches_between_all_and_individual(rows: Rows) -> None:
    org = rows.org()
    a, b = rows.repo(org), rows.repo(org)
    plan = _create(rows, org, includeAllRepositories=True)
    assert (plan.git_choice_mode, rows.members(plan)) == (ChoiceMode.ALL, {a.id, b.id})
    _modify(rows, plan, includeAllRepositories=False)
    assert (plan.git_choice_mode, rows.members(plan)) == (ChoiceMode.INDIVIDUAL, set())
