"""Paging, filtering and ordering items as they stream out of a document (a snapshot's
issues, pull requests or releases), from a list call's request (`PageRequest`), by the rules
of the SQL lists (`common/paging.py`): an unknown property, operator or order is a 400 naming
the field; `contains`, `startswith` and `endswith` ignore case, `eq` compares exactly; a
property holding a list (an item's labels) matches when one of its values does.

One pass over the stream: each item is tested as it comes and counted when it matches, and
only the first `page * limit` matches in the asked order are kept (a heap), so a page costs
one read of the document and memory for that many items at most.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from repovault.common import codes
from repovault.common.errors import InvalidInput
from repovault.common.paging import COMPARISONS, TEXT_OPERATORS, PageRequest, checked_filters
from repovault.common.wire import INT64_MAX, INT64_MIN

T = TypeVar("T")
Kind = Literal["int", "str", "list"]
Test = Callable[[Any], bool]
_TEXT: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda value, text: text in value,
    "startswith": lambda value, text: value.startswith(text),
    "endswith": lambda value, text: value.endswith(text),
}


@dataclass(frozen=True)
class Prop:
    """A property the list can be filtered (and, unless a list, ordered) on."""

    kind: Kind
    get: Callable[[Any], Any]

    def values(self, item: Any) -> list[Any]:
        value = self.get(item)
        if self.kind == "list":
            return list(value or [])
        return [] if value is None else [value]


def _coerce(kind: Kind, value: Any, field: str) -> Any:
    if kind == "int":
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and INT64_MIN <= value <= INT64_MAX
        ):
            return value
        raise InvalidInput.field(field, f"expected an int value, got {value!r}")
    if isinstance(value, str):
        return value
    raise InvalidInput.field(field, f"expected a str value, got {value!r}")


def _test(prop: Prop, operator: str, value: Any, field: str) -> Test:
    if operator == "in":
        if not isinstance(value, list):
            raise InvalidInput.field(field, "operator 'in' takes a list of values")
        wanted = {_coerce(prop.kind, each, field) for each in value}
        return lambda item: any(v in wanted for v in prop.values(item))
    if operator in TEXT_OPERATORS:
        if prop.kind == "int":
            raise InvalidInput.field(field, f"operator {operator!r} applies to text fields only")
        text, check = _coerce("str", value, field).lower(), _TEXT[operator]
        return lambda item: any(check(v.lower(), text) for v in prop.values(item))
    target = _coerce(prop.kind, value, field)
    if operator == "neq":
        return lambda item: target not in prop.values(item)
    compare = COMPARISONS[operator]
    return lambda item: any(compare(v, target) for v in prop.values(item))


def _tests(request: PageRequest, props: dict[str, Prop]) -> list[Test]:
    return [
        _test(prop, operator, value, field)
        for prop, operator, value, field in checked_filters(request, props)
    ]


class Query(Generic[T]):
    """A list request checked against its properties; `select` pages a stream with it.

    Without `orderby`, the list is in `order` (a property's lower-case name), descending:
    newest first. `search`, when given, is one more test every item must pass."""

    def __init__(
        self,
        request: PageRequest,
        props: dict[str, Prop],
        *,
        order: str,
        tiebreak: Callable[[Any], Any],
        search: Test | None = None,
    ) -> None:
        self.tests = _tests(request, props)
        if search is not None:
            self.tests.append(search)
        name = (request.orderby or order).lower()
        prop = props.get(name)
        if prop is None or prop.kind == "list":
            orderable = sorted(n for n, p in props.items() if p.kind != "list")
            raise InvalidInput.field(
                "orderby", f"unknown field {request.orderby!r}; one of: {', '.join(orderable)}"
            )
        direction = (request.ordertype or ("asc" if request.orderby else "desc")).lower()
        if direction not in ("asc", "desc"):
            raise InvalidInput(
                codes.INVALID_FIELD,
                f"ordertype: expected 'asc' or 'desc', got {request.ordertype!r}",
                errors={"ordertype": ["expected 'asc' or 'desc'"]},
            )
        self.prop, self.tiebreak = prop, tiebreak
        self.descending = direction == "desc"
        self.page, self.limit = request.page, request.limit

    def _key(self, item: Any) -> tuple[Any, ...]:
        """Missing values last in either direction (they never meet a value)."""
        value = self.prop.get(item)
        missing = 0 if self.descending else 1
        if value is None:
            return (missing, self.tiebreak(item))
        return (1 - missing, value, self.tiebreak(item))

    def select(self, items: Iterable[T]) -> tuple[list[T], int]:
        """(the page's items, how many match in all), in one pass over `items`."""
        total = 0

        def matching() -> Iterator[T]:
            nonlocal total
            for item in items:
                if all(test(item) for test in self.tests):
                    total += 1
                    yield item

        keep = heapq.nlargest if self.descending else heapq.nsmallest
        best = keep(self.page * self.limit, matching(), key=self._key)
        return best[(self.page - 1) * self.limit :], total
