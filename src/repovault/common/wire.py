"""Request and response models with the reference API's key rules.

JSON keys in requests are case-insensitive and unknown keys are ignored: every request model
derives from `RequestModel`, which folds incoming keys onto its camelCase aliases. Responses
serialize with camelCase keys exactly as in the reference.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel


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
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )
