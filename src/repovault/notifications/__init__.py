"""Telling people a plan run ended: email over SMTP, and webhooks (Slack, Teams, any URL).

`notificationSettings.recipients` holds both: an entry starting with `http://` or
`https://` is a webhook and receives a JSON POST (`text` for Slack-style incoming webhooks,
plus the run's figures), any other entry is an email address. Nothing is sent unless
`notificationSettings.enabled` is true. A failed delivery is logged and never fails the run.
"""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx
import structlog

from repovault.config import Settings

log = structlog.get_logger(__name__)


def _is_webhook(recipient: str) -> bool:
    return recipient.lower().startswith(("http://", "https://"))


def _text(summary: Any) -> str:
    finished = datetime.fromtimestamp(summary.finished_at / 1000, UTC).strftime("%Y-%m-%d %H:%M")
    return (
        f"repovault: plan '{summary.plan_name}' {summary.outcome} ({summary.kind} backup, "
        f"finished {finished} UTC): {summary.succeeded} succeeded, {summary.warnings} with "
        f"warnings, {summary.failed} failed, {summary.canceled} canceled"
    )


def payload(summary: Any) -> dict[str, Any]:
    return {
        "text": _text(summary),
        "planId": summary.plan_id,
        "planName": summary.plan_name,
        "runId": summary.run_id,
        "outcome": summary.outcome,
        "kind": summary.kind,
        "succeeded": summary.succeeded,
        "warnings": summary.warnings,
        "failed": summary.failed,
        "canceled": summary.canceled,
        "startedAt": summary.started_at,
        "finishedAt": summary.finished_at,
    }


def notify(settings: Settings, http: httpx.Client, summary: Any) -> list[str]:
    """Send the run's summary to every recipient; returns the recipients that failed."""
    config = summary.notification_settings or {}
    if not config.get("enabled"):
        return []
    recipients = [r.strip() for r in config.get("recipients") or [] if r and r.strip()]
    failed = [r for r in recipients if _is_webhook(r) and not _post(http, r, summary)]
    emails = [r for r in recipients if not _is_webhook(r)]
    if emails and not _mail(settings, emails, summary):
        failed += emails
    return failed


def _post(http: httpx.Client, url: str, summary: Any) -> bool:
    try:
        response = http.post(url, json=payload(summary), timeout=15.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        log.error("webhook notification failed", plan_id=summary.plan_id, error=str(exc))
        return False
    log.info("webhook notified", plan_id=summary.plan_id, status=response.status_code)
    return True


def _mail(settings: Settings, recipients: list[str], summary: Any) -> bool:
    if not settings.smtp_host:
        log.error(
            "email notification not sent: set REPOVAULT_SMTP_HOST",
            plan_id=summary.plan_id,
            recipients=len(recipients),
        )
        return False
    message = EmailMessage()
    message["Subject"] = f"[repovault] {summary.plan_name}: {summary.outcome}"
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(recipients)
    message.set_content(_text(summary) + "\n")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("email notification failed", plan_id=summary.plan_id, error=str(exc))
        return False
    log.info("email notified", plan_id=summary.plan_id, recipients=len(recipients))
    return True
