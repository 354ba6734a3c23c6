"""Filtering on a list of topics stored as a JSON list of text (`["a", "b"]`)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, String, cast, false, or_

from repovault.common.errors import InvalidInput


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput.field(field, f"expected a str value, got {value!r}")
    return value


def _has_topic(expr: Any, topic: str) -> ColumnElement[bool]:
    """The JSON list holds `topic` (as the list is stored: `["a", "b"]`)."""
    return cast(expr, String()).contains(json.dumps(topic), autoescape=True)


def topics_condition(expr: Any, operator: str, value: Any, field: str) -> ColumnElement[bool]:
    """`eq` holds the topic, `neq` does not, `in` holds one of them, `contains` one of its
    topics contains the text; any other operator is InvalidInput naming `field`."""
    if operator == "in":
        if not isinstance(value, list):
            raise InvalidInput.field(field, "operator 'in' takes a list of values")
        return or_(false(), *(_has_topic(expr, _text(v, field)) for v in value))
    if operator not in ("eq", "neq", "contains"):
        raise InvalidInput.field(field, f"operator {operator!r} does not apply to a list")
    text = _text(value, field)
    if operator == "contains":
        return cast(expr, String()).icontains(text, autoescape=True)
    held = _has_topic(expr, text)
    return held if operator == "eq" else ~held
