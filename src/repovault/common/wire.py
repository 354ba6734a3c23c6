"""Request and response models with the reference API's key rules.

JSON keys in requests are case-insensitive and unknown keys are ignored: every request model
derives from `RequestModel`, which folds incoming keys onto its camelCase aliases. Responses
serialize with camelCase keys exactly as in the reference.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic.config import ExtraValues
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

# Bounds shared by the request models (docs/api.md, "Bounds"): the OpenAPI schema shows them.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
# An id is a GUID (36 characters); longer malformed ids stay a 404 up to this length.
MAX_ID = 100

Id = Annotated[str, Field(max_length=MAX_ID)]
Int32 = Annotated[int, Field(ge=-(2**31), le=INT32_MAX)]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]

_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with lone surrogates spelled `\\udxxx`, so that it can be encoded."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def lone_surrogate(data: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where the first string (or object key) holding a lone surrogate is in a JSON value.

    JSON text may spell one (`"\\ud800"`), but it is not Unicode text: no database, no log
    and no JSON answer can encode it, so a body holding one is refused, whole.
    """
    if isinstance(data, str):
        return path if _SURROGATE.search(data) else None
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and _SURROGATE.search(key):
                return (*path, printable(key))
            found = lone_surrogate(value, (*path, key))
            if found is not None:
                return found
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found = lone_surrogate(value, (*path, i))
            if found is not None:
                return found
    return None


class RequestModel(BaseModel):
    """A request body: camelCase aliases, keys matched case-insensitively, extras ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
    )
    # Extra spellings accepted for a field, lower-cased (the reference's own misspellings).
    key_synonyms: ClassVar[dict[str, str]] = {}

    @classmethod
    def _key_lookup(cls) -> dict[str, str]:
        lookup = cls.__dict__.get("_lookup_cache")
        if lookup is None:
            lookup = {}
            for name, field in cls.model_fields.items():
                alias = field.alias or name
                lookup[alias.lower()] = alias
                lookup[name.lower()] = alias
            for synonym, field_name in cls.key_synonyms.items():
                field = cls.model_fields[field_name]
                lookup[synonym] = field.alias or field_name
            cls._lookup_cache = lookup  # type: ignore[attr-defined]
        return lookup

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        extra: ExtraValues | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        """Validates a whole body; first refuses one with a lone surrogate anywhere."""
        where = lone_surrogate(obj)
        if where is not None:
            error = PydanticCustomError(
                "lone_surrogate",
                "holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text",
            )
            line: InitErrorDetails = {"type": error, "loc": where or ("body",), "input": None}
            raise ValidationError.from_exception_data(cls.__name__, [line])
        return super().model_validate(
            obj,
            strict=strict,
            extra=extra,
            from_attributes=from_attributes,
            context=context,
            by_alias=by_alias,
            by_name=by_name,
        )

    @model_validator(mode="before")
    @classmethod
    def _fold_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        lookup = cls._key_lookup()
        return {
            (lookup.get(key.lower(), key) if isinstance(key, str) else key): value
            for key, value in data.items()
        }


class ResponseModel(BaseModel):
    """A response body: serialized with camelCase keys exactly as in the reference."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        from_attributes=True,  # built from ORM rows: the field names are the attributes
    )


@functools.cache
def _layout(model: type[BaseModel]) -> tuple[tuple[str, str, type[BaseModel] | None], ...]:
    """Each field of `model`: its name, its wire key, and its model when it nests one."""
    return tuple(
        (
            name,
            field.alias or name,
            field.annotation
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
            else None,
        )
        for name, field in model.model_fields.items()
    )


def _fill(model: type[BaseModel], values: Iterator[Any], given: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, key, nested in _layout(model):
        if name in given:
            out[key] = given[name]
        elif nested is not None:
            out[key] = _fill(nested, values, {})
        else:
            out[key] = next(values)
    return out


def wire_row(model: type[BaseModel], row: Sequence[Any], **given: Any) -> dict[str, Any]:
    """A row whose columns are `model`'s fields in order (a nested model's fields in its
    place, fields in `given` left out) as the dictionary `model` would serialize to, without
    validating it: for the big lists, whose columns the database has already typed
    (tests/api/test_list_answers.py holds them equal to the models' own answers)."""
    values = iter(row)
    out = _fill(model, values, given)
    if next(values, _END) is not _END:
        raise ValueError(f"more columns than {model.__name__} has fields")
    return out


_END = object()
