"""What every group of calls builds on: the two ways to make a call, and the bodies' helpers.

A group of calls (accounts.py, organizations.py, ...) says which path and body each call has
and hands them to `_call` (one answer) or `_pages` (every item of every page); the sync and
async clients (clients.py) say how a call is made. `R` and `P` are what those two give back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

FINISHED = frozenset({1, 2, 3, 4, 7})  # task statuses that end a task
UNSUCCESSFUL = frozenset({3, 4, 7})  # failed, canceled, not started (outside its window)
Json = dict[str, Any]
PAGING = ("limit", "page", "orderby", "ordertype", "filters")

R = TypeVar("R")  # what a call gives back: the JSON answer, or an awaitable of it
P = TypeVar("P")  # what the iter_* methods give back: an iterator or an async iterator


class CallsBase(Generic[R, P]):
    """The two primitives every call goes through; the clients implement them."""

    def _call(self, path: str, body: Json | None = None) -> R:
        raise NotImplementedError

    def _pages(self, path: str, body: Json, items: Callable[[Json], list[Json]]) -> P:
        raise NotImplementedError


def paging(given: dict[str, Any]) -> Json:
    """The paging fields of a list call (`limit`, `page`, ...), leaving out those not given."""
    unknown = set(given) - set(PAGING)
    if unknown:
        raise TypeError(f"unknown paging argument(s): {', '.join(sorted(unknown))}")
    return {k: given[k] for k in PAGING if given.get(k) is not None}


def some(**fields: Any) -> Json:
    """The body with the given fields, leaving out those not given (None)."""
    return {k: v for k, v in fields.items() if v is not None}


def next_page(body: Json, reply: Json) -> Json | None:
    """The body asking for the page after `reply`, or None after the last one."""
    page = int(body.get("page", 1))
    if page >= int(reply.get("pageCount", 0)):
        return None
    return {**body, "page": page + 1}
