"""The `prune` job, and the plan's retention applied after each backup."""

from __future__ import annotations

from repovault.engine.retention import Option, Policy, prune
from repovault.engine.vault import Vault
from repovault.plans.models import Plan
from repovault.runner.execute import Job
from repovault.runner.vaults import load_target


def retention_policy(plan: Plan) -> Policy:
    retention = (plan.settings.get("schedule") or {}).get("retention") or {}
    return Policy(
        rule=retention.get("rule", 1),
        options=tuple(
            Option(number=o["number"], period=o.get("period", 1), type=o.get("type", 0))
            for o in retention.get("options") or []
        ),
    )


def apply_retention(job: Job, plan: Plan, vault: Vault) -> None:
    policy = retention_policy(plan)
    if policy.rule == 1:
        return
    pruned = prune(vault, policy)
    if pruned.deleted:
        job.log("info", f"retention removed {len(pruned.deleted)} snapshot(s)")


def run_prune(job: Job) -> None:
    target = load_target(job.services, job.task.repository_id, job.task.plan_id)
    apply_retention(job, target.plan, target.vault(job.services))
