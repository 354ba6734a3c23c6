"""The plan editor's form: from a plan DTO to what the page shows, and back.

The form covers the fields a person edits (selection, schedule with one option, backup
window, retention, compression, encryption on creation, retries, notifications); a modify
sends only those, so what the form does not show (custom actions, rules, ...) is kept.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from repovault.common.enums import ChoiceMode, RetentionRule, Scheme
from repovault.plans import schedule as schedules
from repovault.plans.settings import PlanSettings

DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
FREQUENCIES = {
    0: "once",
    1: "weekly",
    2: "monthly",
    3: "daily",
    4: "every N hours",
    5: "every N minutes",
}


def first(fields: dict[str, list[str]], name: str, default: str = "") -> str:
    values = fields.get(name)
    return values[0].strip() if values else default


def _int(fields: dict[str, list[str]], name: str, default: int) -> int:
    try:
        return int(first(fields, name, str(default)))
    except ValueError:
        return default


def blank_plan(organization_id: str) -> dict[str, Any]:
    return {
        "organizationId": organization_id,
        "name": "",
        "isActive": True,
        "includeMetadata": True,
        "gitChoiceMode": 1,
        "backupType": 5,
        "repositoriesIds": [],
        "schedule": {
            "scheme": 4,
            "options": [
                {
                    "type": 0,
                    "trigger": 1,
                    "frequency": 3,
                    "days": list(range(7)),
                    "startAt": [{"hour": 2, "minute": 0}],
                    "interval": 0,
                    "nthDayOfWeek": 0,
                }
            ],
            "backupWindow": None,
            "retention": {"rule": 2, "options": [{"number": 30, "period": 1, "type": 0}]},
        },
        "compressionSettings": {"codec": 2, "level": 2},
        "encryptionSettings": None,
        "advancedOptions": {},
        "notificationSettings": {"enabled": False, "recipients": []},
    }


def _times(text: str) -> list[dict[str, int]]:
    found = []
    for part in text.replace(";", ",").split(","):
        hour, _, minute = part.strip().partition(":")
        if hour.strip().isdigit():
            found.append({"hour": int(hour), "minute": int(minute or 0)})
    return found


def plan_from_form(fields: dict[str, list[str]]) -> dict[str, Any]:
    scheme = _int(fields, "scheme", 1)
    frequency = _int(fields, "frequency", 3)
    option = {
        "type": _int(fields, "optionType", 0),
        "trigger": 1,
        "frequency": frequency,
        "days": sorted({int(d) for d in fields.get("day", []) if d.isdigit()}),
        "startAt": _times(first(fields, "startAt")),
        "interval": _int(fields, "interval", 0),
        "nthDayOfWeek": _int(fields, "nthDayOfWeek", 0),
    }
    closed = {tuple(int(x) for x in value.split("-")) for value in fields.get("closed", [])}
    window = (
        [[1 if (day, hour) in closed else 0 for hour in range(24)] for day in range(7)]
        if closed
        else None
    )
    rule = _int(fields, "retentionRule", RetentionRule.FOREVER)
    retention: dict[str, Any] = {"rule": rule}
    if rule in (RetentionRule.NEWEST, RetentionRule.YOUNGER):
        retention["options"] = [
            {
                "number": _int(fields, "retentionNumber", 30),
                "period": _int(fields, "retentionPeriod", 1),
                "type": 0,
            }
        ]
    plan: dict[str, Any] = {
        "name": first(fields, "name"),
        "organizationId": first(fields, "organizationId"),
        "isActive": "isActive" in fields,
        "includeMetadata": "includeMetadata" in fields,
        "gitChoiceMode": _int(fields, "gitChoiceMode", ChoiceMode.ALL),
        "schedule": {
            "scheme": scheme,
            "options": [option] if scheme != Scheme.MANUAL else [],
            "backupWindow": window,
            "retention": retention,
        },
        "compressionSettings": {
            "codec": _int(fields, "codec", 2),
            "level": _int(fields, "level", 2),
        },
        "advancedOptions": {
            "maxTaskRetriesCount": first(fields, "maxTaskRetriesCount", "3"),
            "taskRetriesFrequency": str(_int(fields, "retryMinutes", 1) * 60_000),
            "maxConcurrentTasks": first(fields, "maxConcurrentTasks", "5"),
        },
        "notificationSettings": {
            "enabled": "notify" in fields,
            "recipients": [
                line.strip() for line in first(fields, "recipients").splitlines() if line.strip()
            ],
        },
    }
    if plan["gitChoiceMode"] == ChoiceMode.INDIVIDUAL:
        plan["repositoriesIds"] = fields.get("repository", [])
    for key in ("storageId", "workerId"):
        if first(fields, key):
            plan[key] = first(fields, key)
    plan_id = first(fields, "id")
    if plan_id:
        plan["id"] = plan_id
    elif first(fields, "password"):
        plan["encryptionSettings"] = {"algorithm": 1, "password": first(fields, "password")}
    return plan


def plan_view(plan: dict[str, Any]) -> dict[str, Any]:
    """Plain values for the template, whatever the plan holds."""
    sched = plan.get("schedule") or {}
    options = sched.get("options") or [{}]
    option = options[0] or {}
    retention = sched.get("retention") or {}
    retention_option = (retention.get("options") or [{}])[0] or {}
    view = PlanSettings.parse(plan)
    window = view.backup_window or [[0] * 24 for _ in range(7)]
    return {
        "scheme": view.scheme,
        "frequency": option.get("frequency", 3),
        "option_type": option.get("type", 0),
        "days": set(option.get("days") or []),
        "start_at": ", ".join(
            f"{s['hour']:02d}:{s['minute']:02d}" for s in option.get("startAt") or []
        ),
        "interval": option.get("interval", 0),
        "nth": option.get("nthDayOfWeek", 0),
        "closed": {(d, h) for d in range(7) for h in range(24) if window[d][h]},
        "retention_rule": view.retention.rule,
        "retention_number": retention_option.get("number", 30),
        "retention_period": retention_option.get("period", 1),
        "codec": view.codec,
        "level": view.level,
        "retries": view.retry.retries,
        "retry_minutes": view.retry.delay_ms // 60_000,
        "concurrency": view.retry.concurrency,
        "notify": bool(view.notifications.get("enabled")),
        "recipients": "\n".join(view.notifications.get("recipients") or []),
        "selected": set(plan.get("repositoriesIds") or []),
        "encrypted": plan.get("encryptionSettings") is not None,
        "rules": json.dumps(plan.get("rules") or []),
    }


def preview(schedule: dict[str, Any] | None, zone: ZoneInfo, *, count: int) -> list[str]:
    """The next runs of a schedule, as a person reads them (in the server's time zone)."""
    now = datetime.now(UTC)
    runs = []
    at = now
    for _ in range(count):
        try:
            due = schedules.next_due(schedule, after=at, anchor=now, zone=zone)
        except (KeyError, TypeError, ValueError):
            return []
        if due is None:
            break
        local = due.at.astimezone(zone)
        runs.append(f"{local:%a %Y-%m-%d %H:%M %Z}" + (f" ({due.kind})" if due.kind else ""))
        at = due.at
    return runs
