"""The plan DTO of the reference (`modifygitplan`, `ModifyAzurePlanAsync`) and its parts.

Every field of the reference's DTOs is accepted, validated, stored and returned; the
encryption password is write-only. Ids the server owns inside the DTO (`schedule.id`,
`retention.id`) are accepted in any form and ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from repovault.common.enums import Frequency, RetentionRule, Scheme, Trigger
from repovault.common.paging import OPERATORS, FilterValue, PageRequest
from repovault.common.wire import INT32_MAX, Id, Int32, Int64, RequestModel, ResponseModel

Day = Annotated[int, Field(ge=0, le=6)]
HourFlag = Annotated[int, Field(ge=0, le=1)]
RULE_OPERATORS = (*OPERATORS, "regex")

# advancedOptions keys that must hold whole numbers, with their smallest and largest value.
NUMERIC_OPTIONS = {
    "maxtaskretriescount": (0, 1000),
    "taskretriesfrequency": (0, 7 * 86_400_000),  # ms: a week
    "maxconcurrenttasks": (1, 10_000),
    "objectlockdays": (0, 36_500),  # a hundred years
}
LOCK_MODES = ("compliance", "governance")


# The frequencies that run at given times of day (the others run every few hours/minutes).
AT_TIMES = (Frequency.ONCE, Frequency.WEEKLY, Frequency.MONTHLY, Frequency.DAILY)


class StartAt(RequestModel):
    hour: int = Field(ge=0, le=23)
    minute: int = Field(ge=0, le=59)


class ScheduleOption(RequestModel):
    type: int = Field(default=0, ge=0, le=3)
    trigger: int = Field(default=1, ge=0, le=1)
    frequency: int = Field(default=0, ge=0, le=5)
    days: list[Day] = Field(default_factory=list, max_length=7)
    start_at: list[StartAt] = Field(default_factory=list, max_length=1440)
    interval: int = Field(default=0, ge=0, le=100_000)
    nth_day_of_week: int = Field(default=0, ge=0, le=5)

    @model_validator(mode="after")
    def _complete(self) -> ScheduleOption:
        if self.trigger == Trigger.DISABLED:
            return self
        if self.frequency in AT_TIMES and not self.start_at:
            raise ValueError(f"frequency {self.frequency} needs at least one startAt time")
        if self.frequency != Frequency.ONCE and not self.days:
            raise ValueError(f"frequency {self.frequency} needs at least one day in days")
        if self.frequency == Frequency.MONTHLY and not 1 <= self.nth_day_of_week <= 5:
            raise ValueError("monthly (frequency 2) needs nthDayOfWeek 1..4, or 5 for the last")
        if self.frequency in (Frequency.HOURLY, Frequency.MINUTES) and self.interval < 1:
            raise ValueError(f"frequency {self.frequency} needs an interval of at least 1")
        return self


class RetentionOption(RequestModel):
    number: int = Field(ge=1, le=1_000_000)
    period: int = Field(default=1, ge=0, le=4)
    type: int = Field(default=0, ge=0, le=3)


class Retention(RequestModel):
    id: Any = None
    rule: int = Field(default=1, ge=1, le=3)
    options: list[RetentionOption] | None = Field(default=None, max_length=16)
    order: Int32 = 0

    @model_validator(mode="after")
    def _options_for_rule(self) -> Retention:
        if self.rule in (RetentionRule.NEWEST, RetentionRule.YOUNGER) and not self.options:
            raise ValueError(f"retention rule {self.rule} needs at least one option")
        return self


class Schedule(RequestModel):
    id: Any = None
    scheme: int = Field(default=1, ge=1, le=5)
    delay: int = Field(default=0, ge=0, le=INT32_MAX)
    prevent_system_sleep: bool = False
    options: list[ScheduleOption] = Field(default_factory=list, max_length=64)
    backup_window: list[Annotated[list[HourFlag], Field(min_length=24, max_length=24)]] | None = (
        Field(default=None, min_length=7, max_length=7)
    )
    retention: Retention | None = None

    @model_validator(mode="after")
    def _options_for_scheme(self) -> Schedule:
        if self.scheme == Scheme.BASIC and len(self.options) != 1:
            raise ValueError("the basic scheme (2) takes exactly one option")
        if (
            self.scheme in (Scheme.CUSTOM, Scheme.FOREVER_INCREMENTAL, Scheme.GFS)
            and not self.options
        ):
            raise ValueError(f"scheme {self.scheme} needs at least one option")
        return self


class Compression(RequestModel):
    codec: int = Field(default=2, ge=0, le=2)
    level: int = Field(default=2, ge=1, le=3)


class Encryption(RequestModel):
    algorithm: int = Field(default=1, ge=1, le=1)
    password: str | None = Field(default=None, max_length=1024)


class ActionTarget(RequestModel):
    enabled: bool = False
    script_type: int = Field(default=0, ge=0, le=INT32_MAX)
    command: str | None = Field(default=None, max_length=4096)
    password_id: Id | None = None
    arguments: str | None = Field(default=None, max_length=4096)


class Action(RequestModel):
    windows: ActionTarget | None = None
    unix: ActionTarget | None = None
    wait_for_execution: bool = False
    waiting_interval: int = Field(default=0, ge=0, le=INT32_MAX)


class CustomActions(RequestModel):
    pre_backup_action: Action | None = None
    post_snapshot_action: Action | None = None
    post_backup_action: Action | None = None


class Notifications(RequestModel):
    enabled: bool = False
    plan_notifications_configuration: Any = None
    recipients: list[Annotated[str, Field(max_length=320)]] = Field(
        default_factory=list, max_length=100
    )


class RuleFilter(RequestModel):
    property: str = Field(min_length=1, max_length=100)
    operator: str = Field(max_length=100)
    value: FilterValue = None

    @field_validator("operator")
    @classmethod
    def _known_operator(cls, value: str) -> str:
        if value.lower() not in RULE_OPERATORS:
            raise ValueError(f"unknown operator {value!r}; one of: {', '.join(RULE_OPERATORS)}")
        return value.lower()

    @model_validator(mode="after")
    def _valid_regex(self) -> RuleFilter:
        if self.operator == "regex":
            if not isinstance(self.value, str):
                raise ValueError("a regex rule needs a string value")
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from exc
        return self


class RuleChoice(RequestModel):
    meet_all_rules: bool = False
    rules: list[RuleFilter] = Field(default_factory=list, max_length=100)


class Rule(RequestModel):
    choice_mode: int = Field(default=1, ge=1, le=2)
    type: int = Field(ge=1, le=3)
    rule_choice: RuleChoice | None = None


IdList = list[Id]
OptionKey = Annotated[str, Field(max_length=100)]
OptionValue = Annotated[str, Field(max_length=1000)] | Int64 | float | bool | None


class PlanFields(RequestModel):
    """Every settable field of a plan; `PlanCreate` and `PlanModify` add their ids."""

    key_synonyms = {"inculdeallreposistories": "include_all_repositories"}

    is_active: bool = True
    name: str = Field(min_length=1, max_length=400)
    type: int = Field(default=1, ge=1, le=1)
    backup_type: Int32 | None = None
    storage_id: Id | None = None
    worker_id: Id | None = None
    organization_id: Id
    include_metadata: bool = True
    include_all_repositories: bool | None = None
    git_choice_mode: int | None = Field(default=None, ge=1, le=3)
    repositories_ids: IdList | None = Field(default=None, max_length=100_000)
    excluded_repositories_ids: IdList | None = Field(default=None, max_length=100_000)
    projects_ids: IdList | None = Field(default=None, max_length=10_000)
    wikis_ids: IdList | None = Field(default=None, max_length=10_000)
    rules: list[Rule] | None = Field(default=None, max_length=100)
    schedule: Schedule | None = None
    advanced_options: dict[OptionKey, OptionValue] | None = Field(default=None, max_length=100)
    compression_settings: Compression | None = None
    encryption_settings: Encryption | None = None
    custom_actions: CustomActions | None = None
    notification_settings: Notifications | None = None
    use_extra_credentials: bool = False
    additional_credentials: IdList | None = Field(default=None, max_length=100)
    resource_kinds_to_ignore: list[Annotated[int, Field(ge=1, le=8)]] | None = Field(
        default=None, max_length=100
    )
    delta_settings: Any = None
    filtering_settings: Any = None
    ignore_corrupted_attachments: bool = False

    @field_validator("advanced_options")
    @classmethod
    def _numeric_options(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for key, raw in (value or {}).items():
            if key.lower() == "objectlockmode" and str(raw).strip().lower() not in LOCK_MODES:
                raise ValueError(f"{key} must be one of {', '.join(LOCK_MODES)}, got {raw!r}")
            bounds = NUMERIC_OPTIONS.get(key.lower())
            if bounds is None:
                continue
            minimum, maximum = bounds
            try:
                number = int(str(raw).strip())
            except ValueError:
                raise ValueError(f"{key} must be a whole number, got {raw!r}") from None
            if number < minimum or isinstance(raw, bool):
                raise ValueError(f"{key} must be a whole number of at least {minimum}")
            if number > maximum:
                raise ValueError(f"{key} must be at most {maximum}")
        return value


class PlanCreate(PlanFields):
    pass


class PlanModify(PlanFields):
    id: Id
    # On modify every field is optional: what is absent keeps its current value.
    name: str = Field(default="", max_length=400)
    organization_id: Id = ""


class PlanIdRequest(RequestModel):
    id: Id


class AssignedRequest(PageRequest):
    organization_id: Id


class AttachRepository(RequestModel):
    plan_id: Id
    repository_id: Id


class AttachProject(RequestModel):
    plan_id: Id
    project_id: Id


class EncryptionOut(ResponseModel):
    algorithm: int
    password: None  # never returned


class PlanOut(ResponseModel):
    """The plan DTO `/plans/get` answers (`plans/listing.plan_out` builds it). The settings
    parts are returned as they were stored from the request."""

    id: str
    is_active: bool
    name: str
    type: int
    backup_type: int
    storage_id: str
    worker_id: str
    organization_id: str
    include_metadata: bool
    include_all_repositories: bool
    git_choice_mode: int
    repositories_ids: list[str]
    excluded_repositories_ids: list[str]
    projects_ids: list[str]
    wikis_ids: list[str]
    rules: list[Any] | None
    schedule: dict[str, Any] | None
    advanced_options: dict[str, Any] | None
    compression_settings: dict[str, Any] | None
    encryption_settings: EncryptionOut | None
    custom_actions: Any
    notification_settings: Any
    use_extra_credentials: bool
    additional_credentials: list[Any] | None
    resource_kinds_to_ignore: list[Any] | None
    delta_settings: Any
    filtering_settings: Any
    ignore_corrupted_attachments: bool


class AssignedPlan(ResponseModel):
    id: str
    name: str
    include_all_repositories: bool
    repository_ids: list[str]


class RunRequest(RequestModel):
    id: Id
    kind: int | None = Field(default=None, ge=0, le=3)
