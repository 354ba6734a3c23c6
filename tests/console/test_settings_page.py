"""The server's settings in the console (issue 14): read-only, administrators only, never a
secret (the secret key, passwords, tokens, a URL's password); and a test notification sent to
a webhook as a plan's run summary."""

from __future__ import annotations

import dataclasses
import json

import httpx
from fastapi.testclient import TestClient

from repovault.app import create_app
from repovault.config import Settings
from repovault.console.settings import shown_settings
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


def test_no_secret_is_ever_shown() -> None:
    settings = Settings(
        secret_key="the-secret-key-value",
        admin_password="admin-pass-value",
        metrics_token="metrics-token-value",
        smtp_password="smtp-pass-value",
        database_url="postgresql+psycopg://repovault:db-pass-value@db.internal/repovault",
        broker_url="amqp://guest:broker-pass-value@mq.internal:5672/",
        smtp_host="mail.internal",
    )
    shown = dict(shown_settings(settings))
    text = json.dumps(shown)
    for secret in (
        "the-secret-key",
        "admin-pass",
        "metrics-token",
        "smtp-pass",
        "db-pass",
        "broker-pass",
    ):
        assert secret not in text
    assert shown["REPOVAULT_SECRET_KEY"] == "set (not shown)"
    assert (
        shown["REPOVAULT_DATABASE_URL"]
        == "postgresql+psycopg://repovault:***@db.internal/repovault"
    )
    assert shown["REPOVAULT_SMTP_HOST"] == "mail.internal"
    assert "REPOVAULT_ADMIN_EMAIL" not in shown


def test_administrators_read_settings_and_test_a_webhook(runtime: Runtime) -> None:
    posted: list[httpx.Request] = []
    http = httpx.Client(
        transport=httpx.MockTransport(lambda r: posted.append(r) or httpx.Response(204))
    )
    app = create_app(runtime=dataclasses.replace(runtime, http=http))
    with TestClient(app, follow_redirects=False) as admin, TestClient(app) as viewer:
        admin.post("/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        page = admin.get("/console/settings")
        assert page.status_code == 200
        assert "REPOVAULT_WORKER_THREADS" in page.text
        assert runtime.settings.secret_key not in page.text
        assert ADMIN_PASSWORD not in page.text
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        sent = admin.post(
            "/console/settings/notify",
            data={"csrf": csrf, "recipient": "https://hooks.example.org/repovault"},
        )
        assert sent.status_code == 303
        assert "A test summary was sent" in admin.get(sent.headers["location"]).text
        assert [str(r.url) for r in posted] == ["https://hooks.example.org/repovault"]
        assert json.loads(posted[0].content)["planName"] == "notification test"

        token = admin.cookies.get("repovault_session")
        admin.post(
            "/users/create",
            json={"email": "viewer@example.org", "password": "password-123", "roles": ["Viewer"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        viewer.post(
            "/console/login", data={"email": "viewer@example.org", "password": "password-123"}
        )
        refused = viewer.get("/console/settings")
        assert refused.status_code == 403
        assert "REPOVAULT_" not in refused.text
        assert 'href="/console/settings"' not in viewer.get("/console").text
