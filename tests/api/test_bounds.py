"""Every input is bounded: what the database or the driver cannot take is a 400 problem
naming the field, never a 500; a request that fails validation changes nothing.

The findings of issue 10 (schemathesis and hand probes), one test each: a `page` whose offset
overflows, a 50,000-character `contains`, an integer of 2^63, a thousand filters, a lone
surrogate in a filter value or among a batch call's ids.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from repovault.runtime import Runtime
from tests.api.calls_table import CALLS, CallSpec
from tests.api.test_bad_input import _snapshot
from tests.api.world import World, build_world
from tests.conftest import Api

PAGED = [call for call in CALLS if call.paged]
# An integer property of each list call (the plans' list has none).
INT_PROPERTY = {
    "/users/getmany": "createdAt",
    "/git/organizations/getmany": "totalRepositories",
    "/git/repositories/getmany": "status",
    "/storages/getmany": "createdAt",
    "/workers/getmany": "lastSeen",
    "/tasks/getmany": "attempt",
}


@pytest.fixture
def world(api: Api, runtime: Runtime) -> World:
    return build_world(api, runtime)


def _problem(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["errorCode"] == "RQ1002", problem
    assert field in problem["errors"], problem
    return problem


def _raw(api: Api, path: str, body: dict[str, Any]) -> Any:
    """Sends the body as JSON text as it is (json.dumps keeps a lone surrogate as `\\ud800`)."""
    return api.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


def _text_property(path: str) -> str:
    return {"/tasks/getmany": "error", "/users/getmany": "email"}.get(path, "name")


def _probes(path: str) -> dict[str, tuple[dict[str, Any], str]]:
    """Per finding: the body's change and the field the 400 must name."""
    probes: dict[str, tuple[dict[str, Any], str]] = {
        "page-offset-overflow": ({"page": 10**18, "limit": 25}, "page"),
        "limit-2^63": ({"limit": 2**63}, "limit"),
        "contains-50000": (
            {
                "filters": [
                    {
                        "property": _text_property(path),
                        "operator": "contains",
                        "value": "x" * 50_000,
                    }
                ]
            },
            "filters.0.value",
        ),
        "1000-filters": (
            {"filters": [{"property": "id", "operator": "neq", "value": "x"}] * 1000},
            "filters",
        ),
        "in-100000": (
            {"filters": [{"property": "id", "operator": "in", "value": ["x"] * 100_000}]},
            "filters.0.value",
        ),
        "surrogate": (
            {"filters": [{"property": "id", "operator": "eq", "value": "\ud800"}]},
            "filters.0.value",
        ),
        "long-property": (
            {"filters": [{"property": "p" * 5000, "operator": "eq", "value": "x"}]},
            "filters.0.property",
        ),
    }
    prop = INT_PROPERTY.get(path)
    if prop is not None:
        for name, value in (("2^63", 2**63), ("-2^63-1", -(2**63) - 1)):
            probes[f"int-{name}"] = (
                {"filters": [{"property": prop, "operator": "gt", "value": value}]},
                "filters.0.value",
            )
            probes[f"in-int-{name}"] = (
                {"filters": [{"property": prop, "operator": "in", "value": [1, value]}]},
                "filters.0.value",
            )
    return probes


@pytest.mark.parametrize("call", PAGED, ids=str)
def test_list_inputs_are_bounded(call: CallSpec, api: Api, world: World, tmp_path: Path) -> None:
    body = call.body(api, world, tmp_path)
    failed = []
    for probe, (change, field) in _probes(call.path).items():
        response = _raw(api, call.path, {**body, **change})
        problem = response.json() if response.status_code == 400 else {}
        if problem.get("errorCode") != "RQ1002" or field not in problem.get("errors", {}):
            failed.append((probe, response.status_code, response.text[:200]))
    assert not failed


@pytest.mark.parametrize("call", [c for c in PAGED if c.path in INT_PROPERTY], ids=str)
def test_list_bounds_keep_the_extremes(
    call: CallSpec, api: Api, world: World, tmp_path: Path
) -> None:
    body = call.body(api, world, tmp_path)
    prop = INT_PROPERTY[call.path]
    for value in (2**63 - 1, -(2**63)):
        api.ok(
            call.path, {**body, "filters": [{"property": prop, "operator": "lt", "value": value}]}
        )
    api.ok(
        call.path, {**body, "filters": [{"property": "id", "operator": "neq", "value": "x"}] * 50}
    )
    text = {"property": _text_property(call.path), "operator": "contains", "value": "x" * 1000}
    api.ok(call.path, {**body, "filters": [text]})


@pytest.mark.parametrize(
    "path", ["/git/repositories/activate", "/git/repositories/deactivate"], ids=str
)
def test_batch_with_lone_surrogate_changes_nothing(
    path: str, api: Api, runtime: Runtime, world: World
) -> None:
    if path.endswith("deactivate"):
        api.ok("/git/repositories/activate", {"ids": world.repos})
    before = _snapshot(runtime)
    _problem(_raw(api, path, {"ids": [world.repos[0], "\ud800", world.repos[1]]}), "ids.1")
    assert _snapshot(runtime) == before


def test_remove_with_lone_surrogate_changes_nothing(
    api: Api, runtime: Runtime, world: World
) -> None:
    before = _snapshot(runtime)
    body = {"ids": [world.repos[1], "x\udfffy"], "removedata": False}
    _problem(_raw(api, "/git/repositories/remove", body), "ids.1")
    _problem(_raw(api, "/git/repositories/remove", {"id": "\ud800"}), "id")
    assert _snapshot(runtime) == before


def test_lone_surrogate_anywhere_is_refused(api: Api, world: World) -> None:
    """In a known field, deep in a nested one, in an ignored key: a 400 naming where."""
    _problem(_raw(api, "/git/organizations/add", {"driver": 6, "name": "a\ud800"}), "name")
    plan = {
        "name": "p",
        "organizationId": world.org,
        "advancedOptions": {"note": "\udc00"},
    }
    _problem(_raw(api, "/plans/creategitplan", plan), "advancedOptions.note")
    _problem(_raw(api, "/account/me", {"\ud800": 1}), "\\ud800")


def test_non_finite_numbers_are_not_json(api: Api, world: World) -> None:
    """NaN and Infinity are not JSON: stored, they would break every later answer."""
    for raw in ('{"advancedOptions": {"x": NaN}}', '{"advancedOptions": {"x": 1e999}}'):
        body = raw[:-1] + f', "name": "p", "organizationId": "{world.org}"}}'
        response = api.post(
            "/plans/creategitplan", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert response.json()["errorCode"] == "RQ1001"


def _unbounded(schema: dict[str, Any], components: dict[str, Any], path: str) -> list[str]:
    """Every string, integer, array and object-map in a request schema that has no bound."""
    found: list[str] = []
    ref = schema.get("$ref")
    if ref is not None:
        return _unbounded(components[ref.rsplit("/", 1)[1]], components, path)
    kind = schema.get("type")
    if kind == "string" and "maxLength" not in schema and "enum" not in schema:
        found.append(f"{path}: string without maxLength")
    if kind == "integer" and ("minimum" not in schema or "maximum" not in schema):
        found.append(f"{path}: integer without minimum and maximum")
    if kind == "array" and "maxItems" not in schema:
        found.append(f"{path}: array without maxItems")
    extra = schema.get("additionalProperties")
    if kind == "object" and extra not in (None, False) and "maxProperties" not in schema:
        found.append(f"{path}: object without maxProperties")
    for name, prop in schema.get("properties", {}).items():
        found += _unbounded(prop, components, f"{path}.{name}")
    for key in ("anyOf", "allOf", "oneOf"):
        for option in schema.get(key, []):
            found += _unbounded(option, components, path)
    if isinstance(schema.get("items"), dict):
        found += _unbounded(schema["items"], components, f"{path}[]")
    if isinstance(extra, dict):
        found += _unbounded(extra, components, f"{path}{{}}")
    return found


def test_openapi_bounds_every_request_field(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    found = []
    for path, item in document["paths"].items():
        body = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        found += _unbounded(body, components, path)
    assert not found


def test_known_advanced_options_are_bounded(api: Api, world: World) -> None:
    """The numbers repovault acts on have a ceiling, and a lock mode is one it knows."""
    for option, value in (
        ("objectLockDays", 36_501),
        ("maxTaskRetriesCount", 1001),
        ("taskRetriesFrequency", 10**12),
        ("maxConcurrentTasks", 10**9),
        ("objectLockMode", "forever"),
    ):
        body = {"name": "p", "organizationId": world.org, "advancedOptions": {option: value}}
        response = api.post("/plans/creategitplan", body)
        assert response.status_code == 400, (option, response.text)
        assert option in response.json()["detail"]
