"""What a call that changed tasks asks for once its transaction has committed: the task
loop woken at once, and the summaries of the runs a cancel ended sent out."""

from __future__ import annotations

from repovault.api.context import Context
from repovault.notifications import notify
from repovault.plans.runs import RunSummary


def wake(ctx: Context) -> None:
    ctx.after_commit.append(ctx.runtime.wake.set)


def announce(ctx: Context, summaries: list[RunSummary]) -> None:
    """Runs that a cancel ended are announced once the cancel is committed."""
    runtime = ctx.runtime
    if summaries:
        ctx.after_commit.append(
            lambda: [notify(runtime.settings, runtime.http, s) for s in summaries]
        )
