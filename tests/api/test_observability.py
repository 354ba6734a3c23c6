"""What operators watch: metrics, health, readiness, request ids, and the API's docs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from repovault.api.examples import REQUEST_EXAMPLES
from repovault.api.observability import ready
from repovault.runtime import Runtime, build_runtime
from tests.conftest import Api
from tests.e2e.flow import make_sources, organization_with_plan, wait_tasks


def _samples(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_follow_a_plan_run(api: Api, tmp_path: Path) -> None:
    make_sources(tmp_path / "git", ("app", "lib"))
    _org, repos, plan = organization_with_plan(api, tmp_path / "git")
    before = _samples(api)
    assert before[("repovault_repositories", (("state", "never_backed_up"),))] == 2
    wait_tasks(api, api.ok("/plans/run", {"id": plan})["taskIds"])
    after = _samples(api)
    assert after[("repovault_tasks", (("kind", "backup"), ("status", "succeeded")))] == 2
    assert after[("repovault_task_duration_seconds_count", (("kind", "backup"),))] == 2
    assert after[("repovault_bytes_stored_24h", ())] > 0
    assert (
        after[("repovault_bytes_transferred_24h", ())]
        >= after[("repovault_bytes_stored_24h", ())] * 0.5
    )
    assert after[("repovault_repositories", (("state", "never_backed_up"),))] == 0
    ages = {
        dict(labels)["name"]: value
        for (name, labels), value in after.items()
        if name == "repovault_repository_last_success_age_seconds"
    }
    assert set(ages) == set(repos)
    assert all(0 <= age < 60 for age in ages.values())
    assert after[("repovault_workers", (("online", "true"),))] == 1


def test_metrics_token_health_and_readiness(api: Api, runtime: Runtime, tmp_path: Path) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").json() == {"status": "ready"}
    runtime.settings.metrics_token = "scrape-secret"
    refused = api.client.get("/metrics")
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "AU1001"
    allowed = api.client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert allowed.status_code == 200
    fresh = build_runtime(
        runtime.settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/empty.db"})
    )
    try:
        assert ready(fresh) == "the database is not at the newest migration"
    finally:
        fresh.close()


def test_request_ids_are_echoed_or_made(api: Api) -> None:
    given = api.post("/account/me", {}, headers={"X-Request-ID": "trace-123"})
    assert given.headers["x-request-id"] == "trace-123"
    made = api.post("/account/me", {})
    assert len(made.headers["x-request-id"]) == 32


def test_openapi_documents_bodies_and_the_reference_examples(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for path, example in REQUEST_EXAMPLES.items():
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        # FastAPI leaves null values out of the document; everything else is as printed.
        assert body["examples"]["reference"]["value"] == _without_nulls(json.loads(example))
        assert body["schema"]["$ref"].removeprefix("#/components/schemas/") in schemas
    plan = schemas["PlanModify"]["properties"]
    assert {"repositoriesIds", "schedule", "encryptionSettings"} <= set(plan)
    refs = json.dumps(document).split('"$ref": "')[1:]
    for ref in refs:
        name = ref.split('"', 1)[0].removeprefix("#/components/schemas/")
        assert name in schemas, name
    assert api.client.get("/docs").status_code == 200


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value
