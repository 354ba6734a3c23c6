"""Imports every model so that `Base.metadata` is complete (Alembic, tests)."""

from repovault.accounts.models import LoginFailure, RevokedToken, User
from repovault.audit.models import AuditEntry
from repovault.organizations.models import Organization, Project, Wiki
from repovault.plans.models import Plan, PlanItem, PlanRepository
from repovault.repositories.models import Repository
from repovault.storages.models import Storage
from repovault.tasks.models import PlanRun, RepositoryVault, Task, TaskLog
from repovault.workers.models import Worker

__all__ = [
    "AuditEntry",
    "LoginFailure",
    "Organization",
    "Plan",
    "PlanItem",
    "PlanRepository",
    "PlanRun",
    "Project",
    "Repository",
    "RepositoryVault",
    "RevokedToken",
    "Storage",
    "Task",
    "TaskLog",
    "User",
    "Wiki",
    "Worker",
]
