"""One typed view of a plan's settings: the conventions' defaults when a key is absent, and
the values as given otherwise (`advancedOptions` strings or numbers, keys in any case)."""

from __future__ import annotations

from repovault.common.enums import Codec, RetentionRule, Scheme
from repovault.plans.settings import PlanSettings, RetentionOption, RetryPolicy


def test_an_empty_plan_has_every_default() -> None:
    view = PlanSettings.parse({})
    assert view.scheme == Scheme.MANUAL
    assert view.schedule is None
    assert view.backup_window is None
    assert view.retention.rule == RetentionRule.FOREVER
    assert view.retention.options == ()
    assert (view.codec, view.level) == (Codec.ZSTANDARD, 2)
    assert view.retry == RetryPolicy(retries=3, delay_ms=60_000, concurrency=5)
    assert view.ignored == frozenset()
    assert view.custom_actions == {}
    assert view.notifications == {}
    assert view.rules == ()


def test_given_values_are_read_as_given() -> None:
    window = [[0] * 24 for _ in range(7)]
    view = PlanSettings.parse(
        {
            "schedule": {
                "scheme": 5,
                "backupWindow": window,
                "retention": {"rule": 2, "options": [{"number": 7}, {"number": 2, "type": 1}]},
            },
            "compressionSettings": {"codec": 1, "level": 3},
            "advancedOptions": {"MAXTASKRETRIESCOUNT": "0", "taskRetriesFrequency": 5, "x": "kept"},
            "resourceKindsToIgnore": [1, 6],
            "rules": [{"type": 3}],
        }
    )
    assert view.scheme == Scheme.GFS
    assert view.backup_window == window
    assert view.retention.rule == RetentionRule.NEWEST
    assert view.retention.options == (RetentionOption(7), RetentionOption(2, type=1))
    assert (view.codec, view.level) == (Codec.LZ4, 3)
    assert view.retry == RetryPolicy(retries=0, delay_ms=5, concurrency=5)
    assert view.ignored == {1, 6}
    assert view.rules == ({"type": 3},)


def test_unusable_advanced_options_fall_back_to_the_defaults() -> None:
    view = PlanSettings.parse(
        {"advancedOptions": {"maxTaskRetriesCount": "many", "maxConcurrentTasks": "0"}}
    )
    assert view.retry.retries == 3
    assert view.retry.concurrency == 1  # at least one task runs
