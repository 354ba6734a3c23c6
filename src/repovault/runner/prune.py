"""The `prune` job, and the plan's retention applied after each backup."""

from __future__ import annotations

from repovault.common.enums import RetentionRule
from repovault.engine.retention import Option, Policy, prune
from repovault.engine.vault import Vault
from repovault.plans.models import Plan
from repovault.plans.settings import PlanSettings
from repovault.repositories.vaults import load_target
from repovault.runner.execute import Job
from repovault.runner.export import sweep_archives


def retention_policy(plan: Plan) -> Policy:
    retention = PlanSettings.of(plan).retention
    return Policy(
        rule=retention.rule,
        options=tuple(
            Option(number=o.number, period=o.period, type=o.type) for o in retention.options
        ),
    )


def apply_retention(job: Job, plan: Plan, vault: Vault) -> None:
    """The plan's retention rules, and expired export archives out of its storage."""
    sweep_archives(job, plan.storage_id, vault.storage)
    policy = retention_policy(plan)
    if policy.rule == RetentionRule.FOREVER:
        return
    pruned = prune(vault, policy)
    if pruned.deleted:
        job.log("info", f"retention removed {len(pruned.deleted)} snapshot(s)")


def run_prune(job: Job) -> None:
    target = load_target(job.runtime, job.task.repository_id, job.task.plan_id)
    apply_retention(job, target.plan, target.vault(job.runtime))
