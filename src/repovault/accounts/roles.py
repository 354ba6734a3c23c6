"""Roles and which calls each one opens."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SYSTEM_ADMINISTRATOR = "SystemAdministrator"
    GIT_MANAGEMENT = "GitManagement"
    DATA_REMOVE_MANAGEMENT = "DataRemoveManagement"
    USER_MANAGEMENT = "UserManagement"
    VIEWER = "Viewer"


ALL_ROLES = frozenset(Role)

# Which roles open a call; SystemAdministrator opens every call.
READ_GIT = frozenset({Role.GIT_MANAGEMENT, Role.VIEWER})
WRITE_GIT = frozenset({Role.GIT_MANAGEMENT})
REMOVE_GIT = frozenset({Role.GIT_MANAGEMENT, Role.DATA_REMOVE_MANAGEMENT})
MANAGE_USERS = frozenset({Role.USER_MANAGEMENT})
ADMIN_ONLY: frozenset[Role] = frozenset()
ANY_USER = ALL_ROLES


def allowed(user_roles: list[str], required: frozenset[Role]) -> bool:
    held = set(user_roles)
    return Role.SYSTEM_ADMINISTRATOR in held or bool(held & required) or required == ANY_USER
