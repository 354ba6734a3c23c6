"""What a call that changed tasks asks for once its transaction has committed: the task
loop woken at once, and the summaries of the runs a cancel ended sent out."""

from __future__ import annotations

from repovault.common.context import Context
from repovault.notifications import notify
from repovault.tasks.runs import RunSummary


def wake(ctx: Context) -> None:
    ctx.after_commit.append(ctx.services.wake.set)


def announce(ctx: Context, summaries: list[RunSummary]) -> None:
    """Runs that a cancel ended are announced once the cancel is committed."""
    services = ctx.services
    if summaries:
        ctx.after_commit.append(
            lambda: [notify(services.settings, services.http, s) for s in summaries]
        )
