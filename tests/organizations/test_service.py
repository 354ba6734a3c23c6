"""Organizations (`organizations/service.py`), called directly: adding (worker, uniqueness),
modifying, removing with their backup data, and the one synchronization at a time."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from repovault.common.enums import Driver, TaskStatus
from repovault.common.errors import Conflict, InvalidInput
from repovault.organizations import service
from repovault.organizations.models import Organization
from repovault.plans.models import Plan
from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from repovault.tasks.models import Task
from tests.tasks.rows import Rows


def _add(rows: Rows, name: str, **fields: Any) -> Organization:
    given: dict[str, Any] = {
        "driver": Driver.GIT,
        "api_url": None,
        "token": None,
        "username": None,
        "default_worker_id": None,
        "auto_add_new_repositories": False,
        "is_read_only": False,
        **fields,
    }
    return service.add_organization(
        rows.session,
        rows.runtime.box,
        rows.runtime.http,
        name=name,
        embedded_worker=rows.runtime.settings.worker_id,
        **given,
    )


def test_an_added_organization_runs_on_the_embedded_worker_unless_told(rows: Rows) -> None:
    own = rows.worker()
    plain = _add(rows, "  plain  ", token="secret")
    assert (plain.name, plain.default_worker_id) == ("plain", rows.embedded)
    assert plain.token_sealed
    assert rows.runtime.box.open(plain.token_sealed) == "secret"
    assert _add(rows, "own", default_worker_id=own).default_worker_id == own


def test_organization_names_are_unique_per_driver_whatever_their_case(rows: Rows) -> None:
    _add(rows, "Acme")
    with pytest.raises(Conflict) as clash:
        _add(rows, "acme")
    assert clash.value.code == "GT1003"
    other = _add(rows, "web")
    with pytest.raises(Conflict):  # renamed into the clash
        service.modify_organization(
            rows.session,
            rows.runtime.box,
            rows.runtime.http,
            organization_id=other.id,
            changes={"name": "ACME"},
        )


def test_an_unknown_driver_is_refused(rows: Rows) -> None:
    with pytest.raises(InvalidInput) as refused:
        _add(rows, "acme", driver=99)
    assert list(refused.value.errors) == ["driver"]


def test_modify_changes_only_the_given_fields(rows: Rows) -> None:
    own = rows.worker()
    org = _add(rows, "acme", token="old", auto_add_new_repositories=True)
    service.modify_organization(
        rows.session,
        rows.runtime.box,
        rows.runtime.http,
        organization_id=org.id,
        changes={"default_worker_id": own, "is_read_only": True},
    )
    assert (org.default_worker_id, org.is_read_only) == (own, True)
    assert (org.name, org.auto_add_new_repositories) == ("acme", True)
    assert org.token_sealed
    assert rows.runtime.box.open(org.token_sealed) == "old"


# ---- removal ------------------------------------------------------------------------------


def test_removal_with_its_data_queues_one_remove_task_for_every_repository_and_wiki(
    rows: Rows,
) -> None:
    own = rows.worker()
    org = rows.org(driver=Driver.AZURE, default_worker=own)
    repos = [rows.repo(org), rows.repo(org, removed=True)]
    wiki = rows.wiki(org, "Handbook")
    rows.plan(org, repos=repos)
    other = rows.org()
    kept = rows.repo(other)
    task_id = service.remove_organization(
        rows.session, organization_id=org.id, remove_data=True, embedded_worker="embedded"
    )
    rows.session.flush()
    (task,) = rows.session.scalars(select(Task)).all()
    assert task.id == task_id
    assert (task.kind, task.status, task.worker_id) == ("remove", TaskStatus.QUEUED, own)
    assert sorted(task.params["repositoryIds"]) == sorted(r.id for r in repos)
    assert task.params["wikiIds"] == [wiki.id]
    assert rows.session.get(Organization, org.id) is None
    assert set(rows.session.scalars(select(Repository.id))) == {kept.id}
    assert rows.session.scalars(select(Plan)).all() == []


def test_removal_without_its_data_queues_nothing(rows: Rows) -> None:
    org = rows.org()
    rows.repo(org)
    assert (
        service.remove_organization(
            rows.session, organization_id=org.id, remove_data=False, embedded_worker="embedded"
        )
        is None
    )
    rows.session.flush()
    assert rows.session.scalars(select(Task)).all() == []
    assert rows.session.scalars(select(Repository)).all() == []


# ---- one synchronization at a time --------------------------------------------------------


def test_one_synchronization_at_a_time_across_requests(runtime: Runtime) -> None:
    with runtime.db.session(write=True) as session:
        org_id = Rows(session, runtime).org().id
    with runtime.db.session(write=True) as session:
        assert service.claim_sync(session, org_id)
    with runtime.db.session(write=True) as session:
        assert not service.claim_sync(session, org_id)  # another request, or a replica
        org = session.get(Organization, org_id)
        assert org is not None
        assert org.synchronization_in_progress
        assert org.last_sync_start > 0
    with runtime.db.session(write=True) as session:
        service.end_sync(session, org_id)
    with runtime.db.session(write=True) as session:
        assert service.claim_sync(session, org_id)


def test_a_sync_request_is_recorded_even_while_one_runs(rows: Rows) -> None:
    org = rows.org()
    assert service.request_sync(rows.session, organization_id=org.id)
    first = rows.fresh(org).sync_requested_at
    assert first > 0
    assert not service.request_sync(rows.session, organization_id=org.id)
    assert rows.fresh(org).sync_requested_at >= first
    assert rows.fresh(org).synchronization_in_progress


def test_an_organization_needs_a_name(rows: Rows) -> None:
    with pytest.raises(InvalidInput):
        _add(rows, "   ")
