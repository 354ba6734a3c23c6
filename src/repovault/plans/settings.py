"""One typed view of a plan's settings, owning every default of the conventions.

A plan keeps the DTO parts it was given (camelCase JSON) in `plans.settings`, so that the API
returns them as they came. Everything that acts on a plan reads them through this view,
parsed once where it is used, never with its own `.get(key, default)`:

    view = PlanSettings.of(plan)      # or PlanSettings.parse(dto) for a plan DTO
    view.scheme, view.retention, view.compression, view.retry, view.ignored, ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from repovault.backends.retained import Mode
from repovault.common.enums import Codec, RetentionRule, Scheme

DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY_MS = 60_000
DEFAULT_CONCURRENCY = 5
DEFAULT_LEVEL = 2  # medium


@dataclass(frozen=True)
class RetentionOption:
    number: int
    period: int = 1  # days
    type: int = 0  # every backup kind


@dataclass(frozen=True)
class Retention:
    rule: int = RetentionRule.FOREVER
    options: tuple[RetentionOption, ...] = ()


@dataclass(frozen=True)
class RetryPolicy:
    """`advancedOptions`: attempts after the first, their delay, and tasks at once."""

    retries: int = DEFAULT_RETRIES
    delay_ms: int = DEFAULT_RETRY_DELAY_MS
    concurrency: int = DEFAULT_CONCURRENCY


@dataclass(frozen=True)
class ObjectLock:
    """Each snapshot's objects locked by the storage for `days` (S3 Object Lock)."""

    days: int
    mode: Mode = "COMPLIANCE"  # or GOVERNANCE


@dataclass(frozen=True)
class PlanSettings:
    schedule: dict[str, Any] | None = None  # as given: the schedule module reads its options
    scheme: int = Scheme.MANUAL
    backup_window: list[list[int]] | None = None
    retention: Retention = field(default_factory=Retention)
    codec: int = Codec.ZSTANDARD
    level: int = DEFAULT_LEVEL
    ignored: frozenset[int] = frozenset()
    custom_actions: dict[str, Any] = field(default_factory=dict)
    notifications: dict[str, Any] = field(default_factory=dict)
    rules: tuple[dict[str, Any], ...] = ()
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # advancedOptions objectLockDays (> 0) and objectLockMode: snapshots locked by the storage.
    object_lock: ObjectLock | None = None
    # advancedOptions copyStorageId: a second storage each new snapshot is copied to.
    copy_storage_id: str | None = None

    @classmethod
    def of(cls, plan: Any) -> PlanSettings:
        """The view of a `Plan` row (or None: the defaults)."""
        return cls.parse(plan.settings if plan is not None else {})

    @classmethod
    def parse(cls, data: dict[str, Any]) -> PlanSettings:
        schedule = data.get("schedule") or None
        retention = (schedule or {}).get("retention") or {}
        compression = data.get("compressionSettings") or {}
        return cls(
            schedule=schedule,
            scheme=(schedule or {}).get("scheme", Scheme.MANUAL),
            backup_window=(schedule or {}).get("backupWindow"),
            retention=Retention(
                rule=retention.get("rule", RetentionRule.FOREVER),
                options=tuple(
                    RetentionOption(
                        number=o["number"], period=o.get("period", 1), type=o.get("type", 0)
                    )
                    for o in retention.get("options") or []
                ),
            ),
            codec=compression.get("codec", Codec.ZSTANDARD),
            level=compression.get("level", DEFAULT_LEVEL),
            ignored=frozenset(data.get("resourceKindsToIgnore") or ()),
            custom_actions=data.get("customActions") or {},
            notifications=data.get("notificationSettings") or {},
            rules=tuple(data.get("rules") or ()),
            retry=_retry(data.get("advancedOptions") or {}),
            object_lock=_object_lock(data.get("advancedOptions") or {}),
            copy_storage_id=_text_option(data.get("advancedOptions") or {}, "copyStorageId")
            or None,
        )


def _option(options: dict[str, Any], name: str, default: int) -> int:
    """An `advancedOptions` value: keys in any case, values strings or numbers."""
    for key, value in options.items():
        if key.lower() == name.lower():
            try:
                return int(str(value).strip())
            except ValueError:
                return default
    return default


def _text_option(options: dict[str, Any], name: str) -> str:
    for key, value in options.items():
        if key.lower() == name.lower():
            return str(value).strip()
    return ""


def _object_lock(options: dict[str, Any]) -> ObjectLock | None:
    days = _option(options, "objectLockDays", 0)
    if days <= 0:
        return None
    mode = _text_option(options, "objectLockMode").upper() or "COMPLIANCE"
    return ObjectLock(days=days, mode="GOVERNANCE" if mode == "GOVERNANCE" else "COMPLIANCE")


def _retry(options: dict[str, Any]) -> RetryPolicy:
    return RetryPolicy(
        retries=max(_option(options, "maxTaskRetriesCount", DEFAULT_RETRIES), 0),
        delay_ms=max(_option(options, "taskRetriesFrequency", DEFAULT_RETRY_DELAY_MS), 0),
        concurrency=max(_option(options, "maxConcurrentTasks", DEFAULT_CONCURRENCY), 1),
    )
