"""List calls cost a constant number of SQL statements, however many rows they return."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from repovault.runtime import Runtime
from tests.api.world import add_org, add_plan, add_repos
from tests.conftest import Api


@contextmanager
def counting(runtime: Runtime) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "PRAGMA")):
            statements.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", record)


def _populate(api: Api, organizations: int, plans_each: int) -> str:
    org = ""
    for _ in range(organizations):
        org = add_org(api)
        repos = add_repos(api, org, 3)
        for _ in range(plans_each):
            add_plan(api, org, repositoriesIds=repos[:2])
    return org


def _count(api: Api, runtime: Runtime, path: str, body: dict[str, Any]) -> int:
    with counting(runtime) as statements:
        api.ok(path, body)
    return len(statements)


def test_organizations_getmany_is_free_of_n_plus_1(api: Api, runtime: Runtime) -> None:
    _populate(api, 2, 1)
    small = _count(api, runtime, "/git/organizations/getmany", {"limit": 100})
    _populate(api, 10, 4)
    large = _count(api, runtime, "/git/organizations/getmany", {"limit": 100})
    assert small == large
    assert large <= 8


def test_other_lists_are_constant_too(api: Api, runtime: Runtime) -> None:
    org = _populate(api, 1, 2)
    calls = [
        ("/git/repositories/getmany", {"id": org, "limit": 100}),
        ("/plans/listassignedtoorganization", {"organizationId": org, "limit": 100}),
    ]
    small = [_count(api, runtime, path, body) for path, body in calls]
    add_repos(api, org, 30)
    for _ in range(10):
        add_plan(api, org, repositoriesIds=[])
    assert [_count(api, runtime, path, body) for path, body in calls] == small
