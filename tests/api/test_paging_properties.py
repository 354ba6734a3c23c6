"""Paging, filters and ordering of `/git/repositories/getmany` over generated data agree
with a plain Python computation of the same request (the documented semantics: `eq`/`lt`...
compare exactly in code-point order, `contains`/`startswith`/`endswith` ignore ASCII case,
ties are broken by id, `pageCount` = ceil(total / limit))."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from repovault.repositories.models import Repository
from repovault.runtime import Runtime
from tests.api.world import add_org
from tests.conftest import Api

NAME = st.text(alphabet="aAb_%", max_size=4)
FIELDS: dict[str, tuple[str, Any]] = {
    # API field -> (kind, strategy for filter values)
    "name": ("str", NAME),
    "serverId": ("str", NAME),
    "lastBackup": ("int", st.integers(0, 4)),
    "status": ("int", st.integers(1, 3)),
    "isRemoved": ("bool", st.booleans()),
    "isProtected": ("bool", st.booleans()),
    "isPublic": ("bool", st.booleans()),
}
OPERATORS = {
    "str": ["eq", "neq", "lt", "lte", "gt", "gte", "contains", "startswith", "endswith", "in"],
    "int": ["eq", "neq", "lt", "lte", "gt", "gte", "in"],
    "bool": ["eq", "neq"],
}

repo_rows = st.lists(
    st.fixed_dictionaries(
        {
            "name": NAME,
            "lastBackup": st.integers(0, 4),
            "status": st.integers(1, 3),
            "isRemoved": st.booleans(),
            "licence": st.booleans(),
            "isPublic": st.booleans(),
        }
    ),
    max_size=25,
)


@st.composite
def a_filter(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(sorted(FIELDS)))
    kind, values = FIELDS[field]
    operator = draw(st.sampled_from(OPERATORS[kind]))
    value = draw(st.lists(values, max_size=3)) if operator == "in" else draw(values)
    return {
        "property": field.upper() if draw(st.booleans()) else field,
        "operator": operator,
        "value": value,
    }


requests = st.fixed_dictionaries(
    {
        "limit": st.integers(1, 10),
        "page": st.integers(1, 5),
        "orderby": st.sampled_from([*FIELDS, "id", "lastSuccessfulBackup"]),
        "ordertype": st.sampled_from(["asc", "desc", "ASC"]),
        "filters": st.lists(a_filter(), max_size=2),
    }
)


def _matches(item: dict[str, Any], f: dict[str, Any]) -> bool:
    field = next(k for k in FIELDS if k.lower() == f["property"].lower())
    actual, value, op = item[field], f["value"], f["operator"]
    if op == "in":
        return actual in value
    if op in ("contains", "startswith", "endswith"):
        a, v = actual.lower(), value.lower()
        return {"contains": v in a, "startswith": a.startswith(v), "endswith": a.endswith(v)}[op]
    return {
        "eq": actual == value,
        "neq": actual != value,
        "lt": actual < value,
        "lte": actual <= value,
        "gt": actual > value,
        "gte": actual >= value,
    }[op]


def _expected(items: list[dict[str, Any]], request: dict[str, Any]) -> tuple[list[str], int]:
    kept = [i for i in items if all(_matches(i, f) for f in request["filters"])]
    field = request["orderby"]
    kept.sort(key=lambda i: (i[field], i["id"]), reverse=request["ordertype"].lower() == "desc")
    start = (request["page"] - 1) * request["limit"]
    return [i["id"] for i in kept[start : start + request["limit"]]], len(kept)


TEXT = st.text(alphabet="aA%_", min_size=1, max_size=3)
text_requests = st.fixed_dictionaries(
    {
        "limit": st.just(50),
        "page": st.just(1),
        "orderby": st.just("name"),
        "ordertype": st.sampled_from(["asc", "desc"]),
        "filters": st.lists(
            st.fixed_dictionaries(
                {
                    "property": st.just("Name"),
                    "operator": st.sampled_from(
                        ["contains", "startswith", "endswith", "eq", "lt", "gte"]
                    ),
                    "value": TEXT,
                }
            ),
            min_size=1,
            max_size=1,
        ),
    }
)
text_rows = st.lists(
    st.fixed_dictionaries(
        {
            "name": TEXT,
            "lastBackup": st.just(0),
            "status": st.just(1),
            "isRemoved": st.just(False),
            "licence": st.just(False),
            "isPublic": st.just(False),
        }
    ),
    min_size=1,
    max_size=8,
)

SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(rows=repo_rows, request=requests)
def test_getmany_agrees_with_a_python_reference(
    api: Api, runtime: Runtime, rows: list[dict[str, Any]], request: dict[str, Any]
) -> None:
    _check(api, runtime, rows, request)


@SETTINGS
@given(rows=text_rows, request=text_requests)
def test_text_filters_ignore_case_and_treat_wildcards_literally(
    api: Api, runtime: Runtime, rows: list[dict[str, Any]], request: dict[str, Any]
) -> None:
    _check(api, runtime, rows, request)


def _check(api: Api, runtime: Runtime, rows: list[dict[str, Any]], request: dict[str, Any]) -> None:
    org = getattr(api, "_paging_org", None) or add_org(api)
    api._paging_org = org  # type: ignore[attr-defined]
    items = []
    with runtime.db.session(write=True) as session:
        session.execute(delete(Repository).where(Repository.organization_id == org))
        for i, row in enumerate(rows):
            repo = Repository(
                organization_id=org,
                server_id=f"{row['name']}#{i}",
                name=row["name"],
                last_backup=row["lastBackup"],
                status=row["status"],
                is_removed=row["isRemoved"],
                licence_active=row["licence"],
                is_public=row["isPublic"],
            )
            session.add(repo)
            session.flush()
            items.append(
                {
                    "id": repo.id,
                    "name": repo.name,
                    "serverId": repo.server_id,
                    "lastBackup": repo.last_backup,
                    "lastSuccessfulBackup": 0,
                    "status": repo.status,
                    "isRemoved": repo.is_removed,
                    "isProtected": repo.licence_active and not repo.is_removed,
                    "isPublic": repo.is_public,
                }
            )
    reply = api.ok("/git/repositories/getmany", {"id": org, **request})
    ids, total = _expected(items, request)
    assert [r["id"] for r in reply["result"]["repositories"]] == ids
    assert reply["totalEntries"] == total
    assert reply["pageCount"] == math.ceil(total / request["limit"])
    assert reply["currentPage"] == request["page"]
