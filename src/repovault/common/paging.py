"""Paging, ordering and filtering of list calls, done in SQL.

A list call names its fields once (`Fields`: API name -> column expression and kind); the
request's `orderby`, `ordertype` and `filters` are checked against them and compiled into
the statement, so a page costs one COUNT and one indexed SELECT whatever the table size.

    PageRequest --check--> Query(order, conditions) --apply--> count stmt + page stmt
"""

from __future__ import annotations

import math
import operator as operator_module
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    literal,
    select,
)
from sqlalchemy.orm import QueryableAttribute, Session

from repovault.common import codes
from repovault.common.errors import InvalidInput
from repovault.common.ids import parse_guid
from repovault.common.topics import topics_condition
from repovault.common.wire import INT64_MAX, INT64_MIN, RequestModel, ResponseModel

Kind = Literal["str", "int", "bool", "id", "topics"]
OPERATORS = ("eq", "neq", "lt", "lte", "gt", "gte", "contains", "startswith", "endswith", "in")
TEXT_OPERATORS = ("contains", "startswith", "endswith")


# Bounds of a list request (docs/api.md, "Bounds"); the OpenAPI schema shows each one.
MAX_LIMIT = 1000
# (page - 1) * limit is the SQL OFFSET: kept far inside a signed 64-bit integer.
MAX_PAGE = 1_000_000_000
MAX_FILTERS = 50
MAX_FILTER_TEXT = 1000
MAX_FILTER_LIST = 1000
MAX_NAME = 100  # a property, operator, orderby or ordertype

_SCALAR_SCHEMAS: list[dict[str, Any]] = [
    {"type": "string", "maxLength": MAX_FILTER_TEXT},
    {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX},
    {"type": "boolean"},
    {"type": "null"},
]
FILTER_VALUE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        *_SCALAR_SCHEMAS,
        {"type": "array", "items": {"anyOf": _SCALAR_SCHEMAS}, "maxItems": MAX_FILTER_LIST},
    ],
    "description": f"text of at most {MAX_FILTER_TEXT} characters, a signed 64-bit integer, "
    f"true/false or null; for 'in', a list of at most {MAX_FILTER_LIST} of them",
}


def _bounded_scalar(value: Any) -> None:
    if isinstance(value, str) and len(value) > MAX_FILTER_TEXT:
        raise ValueError(f"text of at most {MAX_FILTER_TEXT} characters")
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"an integer from {INT64_MIN} to {INT64_MAX}")


def _bounded_value(value: Any) -> Any:
    """Checked here, before any SQL: the kind of the value is checked against the
    property's when the filter is compiled."""
    if isinstance(value, list):
        if len(value) > MAX_FILTER_LIST:
            raise ValueError(f"a list of at most {MAX_FILTER_LIST} values")
        for item in value:
            _bounded_scalar(item)
    else:
        _bounded_scalar(value)
    return value


FilterValue = Annotated[Any, AfterValidator(_bounded_value), WithJsonSchema(FILTER_VALUE_SCHEMA)]
Name = Annotated[str, Field(max_length=MAX_NAME)]


class FilterSpec(RequestModel):
    property: Name
    operator: Name
    value: FilterValue = None


class PageRequest(RequestModel):
    limit: int = Field(default=25, ge=1, le=MAX_LIMIT)
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    orderby: Name | None = None
    ordertype: Name | None = None
    filters: list[FilterSpec] | None = Field(default=None, max_length=MAX_FILTERS)


Item = TypeVar("Item")
Model = TypeVar("Model", bound=BaseModel)


class PageOf(ResponseModel, Generic[Item]):
    """The answer of a list call (documentation: the routes build the same dict)."""

    current_page: int
    page_count: int
    total_entries: int
    result: list[Item]


Expr = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class Column:
    expr: Expr
    kind: Kind


Fields = dict[str, Column]


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    limit: int

    @property
    def page_count(self) -> int:
        return math.ceil(self.total / self.limit)

    def envelope(self, result: Any) -> dict[str, Any]:
        return {
            "currentPage": self.page,
            "pageCount": self.page_count,
            "totalEntries": self.total,
            "result": result,
        }

    def of(self, model: type[Model], items: list[Model] | None = None) -> PageOf[Model]:
        """The page as its wire model: `items`, else each row's first column (an ORM row)
        read into `model` by attribute."""
        return PageOf[model](  # type: ignore[valid-type]
            current_page=self.page,
            page_count=self.page_count,
            total_entries=self.total,
            result=items if items is not None else [model.model_validate(r[0]) for r in self.rows],
        )


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            return None
        if INT64_MIN <= number <= INT64_MAX:
            return number
    return None


def _as_id(value: Any) -> str | None:
    if isinstance(value, str):
        # A malformed id matches nothing rather than failing the whole call.
        return parse_guid(value) or value
    return None


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# Each kind's reading of a filter value; None: the value is not of that kind.
_READERS: dict[Kind, Callable[[Any], Any]] = {
    "bool": _as_bool,
    "int": _as_int,
    "id": _as_id,
    "str": _as_str,
    "topics": _as_str,
}


def _coerce(kind: Kind, value: Any, field: str) -> Any:
    coerced = _READERS[kind](value)
    if coerced is None:
        raise InvalidInput.field(field, f"expected a {kind} value, got {value!r}")
    return coerced


def _bind(kind: Kind, value: Any) -> Any:
    """Integers are bound as 64-bit whatever the column's width: PostgreSQL would cast a
    value to a 32-bit column's type, and fail on one that does not fit."""
    return literal(value, BigInteger()) if kind == "int" else value


def _condition(column: Column, operator: str, value: Any, field: str) -> ColumnElement[bool]:
    expr = column.expr
    if column.kind == "topics":
        return topics_condition(expr, operator, value, field)
    if operator == "in":
        if not isinstance(value, list):
            raise InvalidInput.field(field, "operator 'in' takes a list of values")
        return expr.in_([_bind(column.kind, _coerce(column.kind, item, field)) for item in value])
    if operator in TEXT_OPERATORS:
        if column.kind not in ("str", "id"):
            raise InvalidInput.field(field, f"operator {operator!r} applies to text fields only")
        text = _coerce("str", value, field)
        if operator == "contains":
            return expr.icontains(text, autoescape=True)
        if operator == "startswith":
            return expr.istartswith(text, autoescape=True)
        return expr.iendswith(text, autoescape=True)
    if column.kind == "bool" and operator not in ("eq", "neq"):
        raise InvalidInput.field(field, f"operator {operator!r} does not apply to true/false")
    coerced = _bind(column.kind, _coerce(column.kind, value, field))
    condition: ColumnElement[bool] = COMPARISONS[operator](expr, coerced)
    return condition


# Shared with the plans' rule matching, which compares plain Python values.
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator_module.eq,
    "neq": operator_module.ne,
    "lt": operator_module.lt,
    "lte": operator_module.le,
    "gt": operator_module.gt,
    "gte": operator_module.ge,
}


Known = TypeVar("Known")


def checked_filters(
    request: PageRequest, known: Mapping[str, Known]
) -> Iterator[tuple[Known, str, FilterValue, str]]:
    """Each filter of the request: what `known` names by its property (lower case), its
    operator (lower case, one of OPERATORS), its value, and the value's field path for
    errors. An unknown property or operator is InvalidInput naming the filter's field."""
    for i, spec in enumerate(request.filters or []):
        found = known.get(spec.property.lower())
        if found is None:
            raise InvalidInput.field(
                f"filters.{i}.property",
                f"unknown property {spec.property!r}; one of: {', '.join(sorted(known))}",
            )
        operator = spec.operator.lower()
        if operator not in OPERATORS:
            raise InvalidInput.field(
                f"filters.{i}.operator",
                f"unknown operator {spec.operator!r}; one of: {', '.join(OPERATORS)}",
            )
        yield found, operator, spec.value, f"filters.{i}.value"


def conditions(request: PageRequest, fields: Fields) -> list[ColumnElement[bool]]:
    return [
        _condition(column, operator, value, field)
        for column, operator, value, field in checked_filters(request, fields)
    ]


def ordering(
    request: PageRequest, fields: Fields, tiebreak: Expr, dialect: str
) -> list[ColumnElement[Any]]:
    name = (request.orderby or "name").lower()
    column = fields.get(name)
    if column is None or column.kind == "topics":
        known = sorted(n for n, c in fields.items() if c.kind != "topics")
        raise InvalidInput.field(
            "orderby", f"unknown field {request.orderby!r} to order by; one of: {', '.join(known)}"
        )
    direction = (request.ordertype or "asc").lower()
    if direction not in ("asc", "desc"):
        raise InvalidInput(
            codes.INVALID_FIELD,
            f"ordertype: expected 'asc' or 'desc', got {request.ordertype!r}",
            errors={"ordertype": ["expected 'asc' or 'desc'"]},
        )
    expr: Expr = column.expr
    if dialect == "postgresql":
        # Code-point order on every database, as SQLite's default.
        tiebreak = tiebreak.collate("C")
        if column.kind in ("str", "id"):
            expr = expr.collate("C")
    if direction == "desc":
        return [expr.desc(), tiebreak.desc()]
    return [expr.asc(), tiebreak.asc()]


_LIMIT, _OFFSET = "page_limit", "page_offset"


def _page_statements(
    stmt: Select[Any], counted: Select[Any], order: list[ColumnElement[Any]]
) -> tuple[Select[Any], Select[Any]]:
    """(count, page) statements; the page's LIMIT and OFFSET are bound parameters."""
    count = select(func.count()).select_from(counted.order_by(None).subquery())
    limit, offset = bindparam(_LIMIT, type_=Integer()), bindparam(_OFFSET, type_=Integer())
    page = stmt.order_by(*order).limit(limit).offset(offset)
    return count, page


Built = tuple[Select[Any], Select[Any]]
# Built statements of unfiltered pages, by base statements, order and dialect: a statement
# built once keeps its SQLAlchemy cache key, so a repeated page costs no statement building,
# no cache key and no compilation.
_BUILT: dict[tuple[int, int, str, str, str], tuple[Select[Any], Select[Any], Built]] = {}
_BUILT_MAX = 256
_built_lock = threading.Lock()


def _built(
    stmt: Select[Any],
    counted: Select[Any],
    request: PageRequest,
    fields: Fields,
    tiebreak: Expr,
    dialect: str,
) -> Built:
    orderby, direction = (request.orderby or "name").lower(), (request.ordertype or "asc").lower()
    key = (id(stmt), id(counted), orderby, direction, dialect)
    found = _BUILT.get(key)
    if found is not None and found[0] is stmt and found[1] is counted:
        return found[2]
    built = _page_statements(stmt, counted, ordering(request, fields, tiebreak, dialect))
    with _built_lock:
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.clear()
        _BUILT[key] = (stmt, counted, built)
    return built


def fetch(
    session: Session,
    stmt: Select[Any],
    request: PageRequest,
    fields: Fields,
    tiebreak: Expr,
    *,
    counted: Select[Any] | None = None,
    params: Mapping[str, Any] | None = None,
    reuse: bool = False,
    total: int | None = None,
) -> Page:
    """One COUNT and one page SELECT of `stmt` under the request's filters and order.

    `counted`: a cheaper statement with the same rows as `stmt`, counted when no filter
    applies (a filter may name a column only `stmt` has). `params`: the values of the
    statements' bound parameters. `reuse`: `stmt` and `counted` are built once (module
    constants, their values in `params`), so an unfiltered page reuses its statements.
    `total`: how many rows `stmt` has, when the caller read it already (in the same
    transaction): an unfiltered page then needs no COUNT.
    """
    dialect = session.get_bind().dialect.name
    counted_stmt = stmt if counted is None else counted
    if request.filters:
        order = ordering(request, fields, tiebreak, dialect)
        where = conditions(request, fields)
        if where:
            stmt = stmt.where(and_(*where))
        count, page = _page_statements(stmt, stmt, order)
    elif reuse:
        count, page = _built(stmt, counted_stmt, request, fields, tiebreak, dialect)
    else:
        order = ordering(request, fields, tiebreak, dialect)
        count, page = _page_statements(stmt, counted_stmt, order)
    values = {
        **(params or {}),
        _LIMIT: request.limit,
        _OFFSET: (request.page - 1) * request.limit,
    }
    if total is None or request.filters:
        total = session.execute(count, values).scalar()
    rows = session.execute(page, values).all()
    return Page(rows=list(rows), total=int(total or 0), page=request.page, limit=request.limit)
