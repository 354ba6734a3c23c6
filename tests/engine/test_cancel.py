"""Canceling stops git at once, helpers included, and later git calls refuse to start."""

from __future__ import annotations

import threading
import time

import pytest

from repovault.engine import git as g


def test_cancel_kills_git_and_its_children_promptly() -> None:
    scope = g.CancelScope()
    timer = threading.Timer(0.3, scope.cancel, kwargs={"reason": "canceled on request"})
    started = time.monotonic()
    timer.start()
    with g.cancellable(scope), pytest.raises(g.Cancelled, match="canceled on request"):
        # An alias that runs a shell: killing only git would leave `sleep` holding the pipes.
        g.Git().run(["-c", "alias.slow=!sleep 30", "slow"])
    assert time.monotonic() - started < 5
    with g.cancellable(scope), pytest.raises(g.Cancelled):
        g.Git().run(["version"])
    assert g.Git().run(["version"]).returncode == 0  # outside the scope: unaffected


def test_on_cancel_runs_callbacks_registered_while_the_work_runs() -> None:
    scope = g.CancelScope()
    called: list[str] = []
    with scope.on_cancel(lambda: called.append("stop")):
        scope.cancel("x")
    scope.cancel("again")
    with scope.on_cancel(lambda: called.append("late")):
        pass
    assert called == ["stop", "late"]
    assert scope.reason == "x"
