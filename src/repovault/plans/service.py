"""Plans: create, modify and remove (what the API shows of them: `listing.py`; attaching and
detaching what they back up: `selection.py`).

`modify` changes only the fields present in the request; an absent field keeps its value,
so a script that sends back what `/plans/get` returned changes nothing by accident. The
encryption settings are fixed for the plan's life: a request that would turn encryption on
or off, or change its password, is refused with `PL3004`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.enums import BackupType, ChoiceMode, Driver
from repovault.common.errors import Conflict, InvalidInput, NotFound
from repovault.common.ids import new_id, parse_guid
from repovault.common.lookup import get_by_id
from repovault.common.secrets import SecretBox
from repovault.organizations.models import Project, Wiki
from repovault.organizations.service import get_organization
from repovault.plans import membership
from repovault.plans.models import (
    ITEM_EXCLUDED_REPOSITORY,
    ITEM_PROJECT,
    ITEM_REPOSITORY,
    ITEM_WIKI,
    Plan,
    PlanItem,
)
from repovault.plans.schemas import (
    Compression,
    CustomActions,
    Encryption,
    Notifications,
    PlanFields,
    Retention,
    Schedule,
)
from repovault.plans.settings import PlanSettings
from repovault.repositories.models import Repository
from repovault.storages.models import Storage
from repovault.storages.service import get_storage, object_lock_refusal
from repovault.workers import service as workers

log = structlog.get_logger(__name__)

DEFAULT_ADVANCED_OPTIONS: dict[str, Any] = {
    "maxTaskRetriesCount": 3,
    "taskRetriesFrequency": 60000,
    "maxConcurrentTasks": 5,
}
EMPTY_WINDOW = [[0] * 24 for _ in range(7)]

# (request field, item kind, model the ids name, error code when unknown)
SELECTIONS: tuple[tuple[str, str, Any, str], ...] = (
    ("repositories_ids", ITEM_REPOSITORY, Repository, codes.REPOSITORY_NOT_FOUND),
    ("excluded_repositories_ids", ITEM_EXCLUDED_REPOSITORY, Repository, codes.REPOSITORY_NOT_FOUND),
    ("projects_ids", ITEM_PROJECT, Project, codes.PROJECT_NOT_FOUND),
    ("wikis_ids", ITEM_WIKI, Wiki, codes.PROJECT_NOT_FOUND),
)


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True) if model is not None else None


def _schedule(plan: Plan, schedule: Schedule | None) -> dict[str, Any]:
    data: dict[str, Any] = _dump(schedule or Schedule())
    data["id"] = plan.settings.get("schedule", {}).get("id") or new_id()
    if data["backupWindow"] is None:
        data["backupWindow"] = EMPTY_WINDOW
    retention = data.get("retention") or _dump(Retention())
    old_retention = plan.settings.get("schedule", {}).get("retention") or {}
    retention["id"] = old_retention.get("id") or new_id()
    data["retention"] = retention
    return data


def _advanced(_plan: Plan, options: dict[str, Any] | None) -> dict[str, Any]:
    given = dict(options or {})
    folded = {k.lower() for k in given}
    for key, value in DEFAULT_ADVANCED_OPTIONS.items():
        if key.lower() not in folded:
            given[key] = value
    return given


def _with_default(default: type[Any]) -> Normaliser:
    return lambda _plan, value: _dump(value or default())


def _as_is(_plan: Plan, value: Any) -> Any:
    return value


Normaliser = Callable[[Plan, Any], Any]

# Settings kept in the plan's JSON column: DTO key -> (request field, normaliser).
SETTINGS: dict[str, tuple[str, Normaliser]] = {
    "schedule": ("schedule", _schedule),
    "advancedOptions": ("advanced_options", _advanced),
    "compressionSettings": ("compression_settings", _with_default(Compression)),
    "customActions": ("custom_actions", _with_default(CustomActions)),
    "notificationSettings": ("notification_settings", _with_default(Notifications)),
    "rules": ("rules", lambda _plan, rules: [_dump(r) for r in rules or []]),
    "resourceKindsToIgnore": ("resource_kinds_to_ignore", lambda _p, v: sorted(set(v or []))),
    "additionalCredentials": ("additional_credentials", lambda _p, v: list(v or [])),
    "deltaSettings": ("delta_settings", _as_is),
    "filteringSettings": ("filtering_settings", _as_is),
}
FLAGS = ("is_active", "include_metadata", "use_extra_credentials", "ignore_corrupted_attachments")


def get_plan(session: Session, plan_id: str) -> Plan:
    return get_by_id(session, Plan, plan_id, code=codes.PLAN_NOT_FOUND, what="plan")


def _check_selection(
    session: Session, organization_id: str, field: str, ids: list[str], model: Any, unknown: str
) -> list[str]:
    alias = PlanFields.model_fields[field].alias or field
    guids = [parse_guid(raw) for raw in ids]
    owners: dict[str, str] = dict(
        session.execute(
            select(model.id, model.organization_id).where(model.id.in_([g for g in guids if g]))
        ).all()
    )
    errors: dict[str, list[str]] = {}
    code = unknown
    for i, (raw, guid) in enumerate(zip(ids, guids, strict=True)):
        owner = owners.get(guid) if guid else None
        if owner is None:
            errors[f"{alias}.{i}"] = [f"no such item {raw!r}"]
        elif owner != organization_id:
            errors[f"{alias}.{i}"] = [f"{raw} belongs to another organization"]
            code = codes.NOT_IN_PLAN_ORGANIZATION
    if errors:
        raise InvalidInput(code, f"{alias}: {len(errors)} id(s) cannot be used", errors=errors)
    return list(dict.fromkeys(g for g in guids if g))


def _set_items(session: Session, plan_id: str, kind: str, ids: list[str]) -> None:
    session.execute(delete(PlanItem).where(PlanItem.plan_id == plan_id, PlanItem.kind == kind))
    if ids:
        session.add_all(
            PlanItem(plan_id=plan_id, kind=kind, item_id=item_id, position=i)
            for i, item_id in enumerate(ids)
        )
        session.flush()


def _apply_encryption(
    box: SecretBox, plan: Plan, enc: Encryption | None, *, creating: bool
) -> None:
    if creating:
        if enc is not None:
            if not enc.password:
                raise InvalidInput.field("encryptionSettings.password", "a password is required")
            plan.encryption_algorithm = enc.algorithm
            plan.encryption_password_sealed = box.seal(enc.password)
        return
    fixed = Conflict(
        codes.PLAN_ENCRYPTION_FIXED,
        "a plan's encryption settings are fixed for its life; create a new plan instead",
    )
    if (enc is None) != (plan.encryption_algorithm is None):
        raise fixed
    if enc is not None and enc.password is not None:
        assert plan.encryption_password_sealed is not None
        if enc.algorithm != plan.encryption_algorithm or enc.password != box.open(
            plan.encryption_password_sealed
        ):
            raise fixed


def _default_worker(session: Session, organization_id: str, embedded_worker: str) -> str:
    """The organization's default worker, else the embedded one."""
    org = get_organization(session, organization_id)
    return workers.worker_or_embedded(session, org.default_worker_id, embedded_worker)


def _choice_mode(plan: Plan, body: PlanFields, present: set[str], creating: bool) -> int:
    mode = plan.git_choice_mode if not creating else ChoiceMode.INDIVIDUAL
    if "git_choice_mode" in present and body.git_choice_mode is not None:
        mode = body.git_choice_mode
    if "include_all_repositories" in present and body.include_all_repositories is not None:
        if body.include_all_repositories:
            mode = ChoiceMode.ALL
        elif mode == ChoiceMode.ALL:
            mode = ChoiceMode.INDIVIDUAL
    return mode


def _check_owner(
    session: Session, plan: Plan, body: PlanFields, *, backup_type: int, creating: bool
) -> None:
    """The call's plan kind and the plan's organization: set when creating, fixed after."""
    if body.backup_type is not None and body.backup_type != backup_type:
        kind = "Azure DevOps (10)" if backup_type == BackupType.AZURE else "Git (5)"
        raise InvalidInput.field("backupType", f"this call handles {kind} plans only")
    if creating:
        org = get_organization(session, body.organization_id)
        if backup_type == BackupType.AZURE and org.driver != Driver.AZURE:
            raise InvalidInput.field(
                "organizationId",
                "an Azure DevOps plan needs an Azure DevOps (driver 4) organization",
            )
        plan.organization_id = org.id
        plan.backup_type = backup_type
    elif (
        "organization_id" in body.model_fields_set
        and body.organization_id
        and parse_guid(body.organization_id) != plan.organization_id
    ):
        raise InvalidInput.field("organizationId", "a plan's organization cannot change")


def _apply_columns(
    session: Session,
    plan: Plan,
    body: PlanFields,
    wanted: Callable[[str], bool],
    embedded_worker: str,
) -> None:
    """The plan's own columns: name, type, flags, storage and worker."""
    if wanted("name"):
        if not body.name.strip():
            raise InvalidInput.field("name", "a plan needs a name")
        plan.name = body.name.strip()
    if wanted("type"):
        plan.type = body.type
    for flag in FLAGS:
        if wanted(flag):
            setattr(plan, flag, getattr(body, flag))
    if wanted("storage_id"):
        plan.storage_id = get_storage(session, body.storage_id).id
    if wanted("worker_id"):
        plan.worker_id = (
            workers.get_worker(session, body.worker_id).id
            if body.worker_id is not None
            else _default_worker(session, plan.organization_id, embedded_worker)
        )


def _apply(
    session: Session,
    box: SecretBox,
    plan: Plan,
    body: PlanFields,
    *,
    backup_type: int,
    creating: bool,
    embedded_worker: str,
) -> None:
    present = set(body.model_fields_set)

    def wanted(field: str) -> bool:
        return creating or field in present

    _check_owner(session, plan, body, backup_type=backup_type, creating=creating)
    _apply_columns(session, plan, body, wanted, embedded_worker)
    plan.git_choice_mode = _choice_mode(plan, body, present, creating)
    if wanted("encryption_settings"):
        _apply_encryption(box, plan, body.encryption_settings, creating=creating)
    settings = dict(plan.settings or {})
    for key, (field, normalise) in SETTINGS.items():
        if wanted(field):
            settings[key] = normalise(plan, getattr(body, field))
    plan.settings = settings
    if wanted("advanced_options") or wanted("storage_id"):
        _check_object_lock(session, box, plan)
        _check_copy_storage(session, plan)
    if creating:
        session.add(plan)
        session.flush()
    for field, kind, model, unknown in SELECTIONS:
        if wanted(field):
            ids = _check_selection(
                session, plan.organization_id, field, getattr(body, field) or [], model, unknown
            )
            _set_items(session, plan.id, kind, ids)
    membership.refresh_plan(session, plan)


def _check_object_lock(session: Session, box: SecretBox, plan: Plan) -> None:
    """A plan asking the storage to lock its snapshots needs a storage that can."""
    if PlanSettings.of(plan).object_lock is None:
        return
    refusal = object_lock_refusal(get_storage(session, plan.storage_id), box)
    if refusal:
        raise InvalidInput.field("advancedOptions.objectLockDays", refusal)


def _check_copy_storage(session: Session, plan: Plan) -> None:
    """`advancedOptions.copyStorageId` names a storage, not the plan's own."""
    copy_id = PlanSettings.of(plan).copy_storage_id
    if copy_id is None:
        return
    field = "advancedOptions.copyStorageId"
    if copy_id == plan.storage_id:
        raise InvalidInput.field(field, "the second copy needs another storage than the plan's")
    storage = session.get(Storage, copy_id)
    if storage is None:
        raise NotFound(codes.STORAGE_NOT_FOUND, f"{field}: no storage {copy_id}")


def create_plan(
    session: Session, box: SecretBox, *, body: PlanFields, backup_type: int, embedded_worker: str
) -> Plan:
    plan = Plan(settings={})
    _apply(
        session,
        box,
        plan,
        body,
        backup_type=backup_type,
        creating=True,
        embedded_worker=embedded_worker,
    )
    log.info("plan created", plan_id=plan.id, organization_id=plan.organization_id)
    return plan


def modify_plan(
    session: Session,
    box: SecretBox,
    *,
    plan_id: str,
    body: PlanFields,
    backup_type: int,
    embedded_worker: str,
) -> Plan:
    plan = get_plan(session, plan_id)
    if plan.backup_type != backup_type:
        call = "modifyazureplanasync" if plan.backup_type == BackupType.AZURE else "modifygitplan"
        raise InvalidInput.field("id", f"plan {plan.id} is changed with /plans/{call}")
    _apply(
        session,
        box,
        plan,
        body,
        backup_type=backup_type,
        creating=False,
        embedded_worker=embedded_worker,
    )
    log.info("plan modified", plan_id=plan.id, fields=sorted(body.model_fields_set))
    return plan


def remove_plan(session: Session, *, plan_id: str) -> None:
    plan = get_plan(session, plan_id)
    session.delete(plan)
    log.info("plan removed", plan_id=plan.id)
