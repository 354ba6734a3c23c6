"""Run summaries by email (against a small SMTP server) and by webhook."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest

from repovault.config import Settings
from repovault.notifications import notify
from repovault.plans.runs import RunSummary


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive one message (RFC 5321: EHLO, MAIL, RCPT, DATA, QUIT)."""

    received: list[tuple[list[str], bytes]] = []

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-test\r\n250 OK\r\n")
            elif verb == b"RCPT":
                recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                self.received.append((recipients, body))
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_port() -> Iterator[int]:
    _Smtp.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _summary(recipients: list[str], *, failed: int = 0) -> RunSummary:
    return RunSummary(
        plan_id="p-1",
        plan_name="Nightly",
        run_id="r-1",
        kind="incremental",
        succeeded=3,
        warnings=0,
        failed=failed,
        canceled=0,
        started_at=1_795_000_000_000,
        finished_at=1_795_000_060_000,
        notification_settings={"enabled": True, "recipients": recipients},
    )


def test_email_and_webhook(smtp_port: int, tmp_path: Path) -> None:
    posted: list[httpx.Request] = []
    http = httpx.Client(
        transport=httpx.MockTransport(lambda r: posted.append(r) or httpx.Response(200))
    )
    settings = Settings(
        data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_from="rv@example.org"
    )
    failed = notify(
        settings,
        http,
        _summary(["ops@example.org", "https://hooks.slack.com/services/T/B/X"], failed=1),
    )
    assert failed == []
    ((recipients, raw),) = _Smtp.received
    assert recipients == ["ops@example.org"]
    message = message_from_bytes(raw)
    assert message["Subject"] == "[repovault] Nightly: failed"
    assert message["From"] == "rv@example.org"
    assert "3 succeeded" in message.get_payload()
    (hook,) = posted
    payload = json.loads(hook.content)
    assert payload["outcome"] == "failed"
    assert payload["text"].startswith("repovault: plan 'Nightly' failed")


def test_what_cannot_be_delivered_is_reported_not_raised(tmp_path: Path) -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    failed = notify(
        Settings(data_dir=tmp_path),  # no SMTP host
        http,
        _summary(["ops@example.org", "https://hooks.example.com/x"]),
    )
    assert sorted(failed) == ["https://hooks.example.com/x", "ops@example.org"]
    disabled = _summary(["ops@example.org"])
    disabled.notification_settings = {"enabled": False, "recipients": ["ops@example.org"]}
    assert notify(Settings(data_dir=tmp_path), http, disabled) == []
