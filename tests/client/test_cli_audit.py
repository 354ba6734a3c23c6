"""`repovault audit`: the trail from the terminal, and its chain checked."""

from __future__ import annotations

import json

from sqlalchemy import update
from typer.testing import CliRunner

from repovault.audit.models import AuditEntry
from repovault.cli import app
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL


def test_audit_list_and_verify(cli: CliRunner, runtime: Runtime) -> None:
    made = cli.invoke(
        app,
        ["users", "create", "ops@company.com", "--role", "Viewer", "--password-env", "PW"],
        env={"PW": "password-123"},
    )
    assert made.exit_code == 0, made.output
    listed = cli.invoke(app, ["audit", "list", "--call", "/users/create", "--json"])
    assert listed.exit_code == 0, listed.output
    entries = json.loads(listed.stdout)  # a bare list
    assert [(e["call"], e["userEmail"], e["outcome"]) for e in entries] == [
        ("/users/create", ADMIN_EMAIL, "ok")
    ]
    table = cli.invoke(app, ["audit", "list", "--user", ADMIN_EMAIL])
    assert "/users/create" in table.stdout
    assert "/account/login" in table.stdout
    assert "password-123" not in table.stdout

    intact = cli.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0
    assert "audit trail intact" in intact.stdout
    with runtime.db.session(write=True) as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(address="1.2.3.4"))
    broken = cli.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at #1" in broken.output
