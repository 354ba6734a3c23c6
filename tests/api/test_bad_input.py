"""Bad input for every call gives 400 or 404 problem+json, never a 500, and changes nothing.

For each call the valid body from the call table is broken one way at a time: wrong JSON
types for each field (from the call's own schema), each required key missing, malformed
ids, out-of-range paging, unknown enum values, non-object and invalid JSON, huge bodies.
After each, every table holds exactly what it held before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from repovault import app
from repovault.db import Base
from repovault.runtime import Runtime
from tests.api.calls_table import CALLS, CallSpec
from tests.api.world import World, build_world
from tests.conftest import Api

# JSON values that no field of the given JSON-schema type accepts.
WRONG: dict[str, list[Any]] = {
    "string": [12345, [1], {"a": 1}],
    "integer": ["text", 1.5, [1], {"a": 1}],
    "boolean": ["maybe", [1], {"a": 1}],
    "array": ["text", {"a": 1}, 12345],
    "object": ["text", [1], 12345],
}

# Per call: (field path, bad value) for unknown enum values and out-of-range numbers.
ENUMS: dict[str, list[tuple[str, Any]]] = {
    "/git/organizations/add": [("driver", 99), ("driver", 0), ("apiUrl", "ftp://x")],
    "/storages/add": [("type", 99), ("settings", {"path": "relative/path"})],
    "/users/create": [("roles", ["Superuser"]), ("email", "no-at-sign"), ("password", "short")],
    "/users/modify": [("roles", ["Nope"])],
    "/plans/creategitplan": [
        ("schedule", {"scheme": 9}),
        ("schedule", {"scheme": 2, "options": []}),
        ("schedule", {"scheme": 2, "options": [{"frequency": 9}]}),
        (
            "schedule",
            {
                "scheme": 2,
                "options": [{"frequency": 3, "days": [7], "startAt": [{"hour": 1, "minute": 0}]}],
            },
        ),
        (
            "schedule",
            {
                "scheme": 2,
                "options": [{"frequency": 3, "days": [1], "startAt": [{"hour": 24, "minute": 0}]}],
            },
        ),
        (
            "schedule",
            {
                "scheme": 2,
                "options": [
                    {
                        "frequency": 2,
                        "days": [1],
                        "nthDayOfWeek": 0,
                        "startAt": [{"hour": 1, "minute": 0}],
                    }
                ],
            },
        ),
        ("schedule", {"scheme": 2, "options": [{"frequency": 4, "days": [1], "interval": 0}]}),
        ("schedule", {"backupWindow": [[0] * 24] * 6}),
        ("schedule", {"backupWindow": [[2] * 24] * 7}),
        ("schedule", {"retention": {"rule": 0}}),
        ("schedule", {"retention": {"rule": 2, "options": []}}),
        ("schedule", {"retention": {"rule": 3, "options": [{"number": 1, "period": 9}]}}),
        ("compressionSettings", {"codec": 5, "level": 2}),
        ("compressionSettings", {"codec": 2, "level": 0}),
        ("encryptionSettings", {"algorithm": 2, "password": "x"}),
        ("encryptionSettings", {"algorithm": 1}),
        ("gitChoiceMode", 4),
        ("resourceKindsToIgnore", [9]),
        ("advancedOptions", {"maxConcurrentTasks": "lots"}),
        ("advancedOptions", {"maxConcurrentTasks": 0}),
        (
            "rules",
            [
                {
                    "type": 3,
                    "choiceMode": 2,
                    "ruleChoice": {"rules": [{"property": "name", "operator": "like"}]},
                }
            ],
        ),
        (
            "rules",
            [
                {
                    "type": 3,
                    "choiceMode": 2,
                    "ruleChoice": {
                        "rules": [{"property": "name", "operator": "regex", "value": "("}]
                    },
                }
            ],
        ),
        ("type", 2),
        ("backupType", 10),
        ("repositoriesIds", ["not-a-guid"]),
        ("repositoriesIds", ["00000000-0000-4000-8000-000000000000"]),
        ("storageId", "00000000-0000-4000-8000-000000000000"),
        ("workerId", "00000000-0000-4000-8000-000000000000"),
    ],
    "/plans/createazureplan": [("backupType", 5)],
}
PAGING = [
    ("limit", 0),
    ("limit", -1),
    ("limit", 1001),
    ("page", 0),
    ("page", -3),
    ("ordertype", "sideways"),
    ("orderby", "nosuchfield"),
    ("filters", [{"property": "nosuch", "operator": "eq", "value": 1}]),
    ("filters", [{"property": "name", "operator": "like", "value": "x"}]),
    ("filters", [{"property": "id", "operator": "in", "value": "not-a-list"}]),
    ("filters", "not-a-list"),
]


def _snapshot(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    with runtime.db.session() as session:
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in session.execute(select(table))), key=repr
            )
            for table in Base.metadata.sorted_tables
            # Worker heartbeats and the task log move on their own; a refused change leaves
            # its audit entry (tests/audit).
            if table.name not in ("revoked_tokens", "workers", "audit_entries")
        }


def _model(path: str) -> Any:
    """The request model the app registered for a call."""
    for group in app.CALLS:
        for call in group.calls:
            if call.path == path:
                return call.body
    raise KeyError(path)


def _types(schema: dict[str, Any]) -> set[str]:
    if "type" in schema:
        return {schema["type"]}
    found: set[str] = set()
    for option in schema.get("anyOf", []):
        found |= _types(option)
    if "$ref" in schema or "allOf" in schema:
        found.add("object")
    return found


def _cases(call: CallSpec, body: dict[str, Any]) -> list[tuple[str, Any, tuple[int, ...]]]:
    """(description, body, allowed statuses), each body broken one way. Wrong types and
    missing keys are 400; an unknown value may name an unknown object, which is 404."""
    model = _model(call.path)
    schema = model.model_json_schema(by_alias=True)
    cases: list[tuple[str, Any, tuple[int, ...]]] = []
    for name, prop in schema.get("properties", {}).items():
        types = _types(prop) - {"null"}
        if len(types) != 1 or "number" in types:
            continue  # Any-typed or union fields accept many JSON types
        for value in WRONG.get(types.pop(), []):
            cases.append((f"{name}={json.dumps(value)}", {**body, name: value}, (400,)))
    for name in schema.get("required", []):
        if name in body:
            cases.append((f"without {name}", {k: v for k, v in body.items() if k != name}, (400,)))
    for name, value in ENUMS.get(call.path, []):
        cases.append((f"{name}={json.dumps(value)}", {**body, name: value}, (400, 404)))
    if call.paged:
        cases += [(f"{n}={json.dumps(v)}", {**body, n: v}, (400,)) for n, v in PAGING]
    return cases


def _assert_problem(response: Any, allowed: tuple[int, ...] = (400,)) -> dict[str, Any]:
    assert response.status_code in allowed, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == response.status_code
    assert problem["errorCode"]
    assert problem["detail"]
    assert "Traceback" not in response.text
    return problem


@pytest.fixture
def world(api: Api, runtime: Runtime) -> World:
    return build_world(api, runtime)


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_bad_input_is_refused_and_changes_nothing(
    call: CallSpec, api: Api, runtime: Runtime, world: World, tmp_path: Path
) -> None:
    body = call.body(api, world, tmp_path)
    before = _snapshot(runtime)
    for description, broken, allowed in _cases(call, body):
        problem = _assert_problem(api.post(call.path, broken), allowed)
        if problem["status"] == 400:
            assert problem["errors"], f"{description}: a 400 names the bad fields"
    for raw in (
        b"[]",
        b'"text"',
        b"42",
        b"{not json",
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b"NaN",
    ):
        _assert_problem(
            api.post(call.path, content=raw, headers={"Content-Type": "application/json"})
        )
    huge = json.dumps({**body, "padding": "x" * 2_000_000}).encode()
    assert _assert_problem(api.post(call.path, content=huge))["errorCode"] == "RQ1003"
    for field, code in call.id_fields:
        for bad in (
            "not-a-guid",
            "a4ac2cd0-ed2f-4ced-be39-60c631e033fz",
            "00000000-0000-4000-8000-000000000000",
        ):
            problem = _assert_problem(api.post(call.path, {**body, field: bad}), (404, 400))
            assert problem["errorCode"] == code, (field, bad, problem)
    assert _snapshot(runtime) == before


def test_batch_calls_report_malformed_ids_per_item(api: Api, world: World) -> None:
    ids = [world.repos[0], "not-a-guid", 42, None, "00000000-0000-4000-8000-000000000000"]
    reply = api.ok("/git/repositories/activate", {"ids": ids})
    assert reply["success"] == [world.repos[0]]
    assert [e["id"] for e in reply["error"]] == [
        "not-a-guid",
        "42",
        "None",
        "00000000-0000-4000-8000-000000000000",
    ]
    assert {e["errorCode"] for e in reply["error"]} == {"GT1001"}
    removed = api.ok("/git/repositories/remove", {"ids": [world.repos[1], "nope"]})
    assert removed["succeededIds"] == [world.repos[1]]
    assert removed["failedIds"] == ["nope"]
    assert removed["errors"][0]["errorCode"] == "GT1001"


def test_unknown_path_and_wrong_method_are_problems(api: Api) -> None:
    _assert_problem(api.post("/no/such/call", {}), (404,))
    response = api.client.get("/plans/get")
    _assert_problem(response, (405,))
