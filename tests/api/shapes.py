"""Compares a reply with a reference example: same keys, same nesting, same JSON types."""

from __future__ import annotations

import re
from typing import Any


def assert_shape(
    actual: Any, example: Any, path: str = "$", extra: dict[str, set[str]] | None = None
) -> None:
    """`actual` has the example's shape: the same keys, the same JSON types. `extra` names
    members repovault adds beyond the reference, by path with list indices as `[]`
    (`$.result.repositories[]`): they must be there too, and only they."""
    extra = extra or {}
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        expected = set(example) | extra.get(re.sub(r"\[\d+\]", "[]", path), set())
        assert set(actual) == expected, (
            f"{path}: keys differ: missing {sorted(expected - set(actual))}, "
            f"extra {sorted(set(actual) - expected)}"
        )
        for key, value in example.items():
            assert_shape(actual[key], value, f"{path}.{key}", extra)
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        if example:
            assert actual, f"{path}: expected items to compare with the example"
            for i, item in enumerate(actual):
                assert_shape(item, example[0], f"{path}[{i}]", extra)
    elif example is None:
        assert actual is None or isinstance(actual, str | int | float | bool), path
    elif isinstance(example, bool):
        assert isinstance(actual, bool), f"{path}: expected a boolean, got {actual!r}"
    elif isinstance(example, int):
        assert isinstance(actual, int), f"{path}: expected an integer, got {actual!r}"
        assert not isinstance(actual, bool), f"{path}: expected an integer, got {actual!r}"
    elif isinstance(example, str):
        assert isinstance(actual, str), f"{path}: expected a string, got {actual!r}"
    else:
        raise AssertionError(f"{path}: unexpected example value {example!r}")
