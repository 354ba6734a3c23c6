"""The OpenAPI document of the calls (`/docs`, `/openapi.json`): each call's body model with
the reference's example, what its 200 carries, and its error answers as problem documents."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Protocol

from fastapi import FastAPI
from pydantic import BaseModel

from repovault.api.examples import REQUEST_EXAMPLES


class Documented(Protocol):
    """What the document needs of a call (`api.calls.Call`)."""

    @property
    def path(self) -> str: ...
    @property
    def body(self) -> type[BaseModel]: ...
    @property
    def roles(self) -> object: ...
    @property
    def response(self) -> type[BaseModel] | None: ...
    @property
    def errors(self) -> tuple[int, ...]: ...


# Statuses a call can answer besides 200 and 400 (every call validates its body).
STATUS_TITLES = {
    400: "Invalid input: the body is not a JSON object, too large, or a field is invalid",
    401: "Unauthorized: no valid token (or wrong credentials)",
    403: "Forbidden: the caller's roles do not open the call",
    404: "Not found: an object the body names does not exist",
    409: "Conflict: the change contradicts the current state",
    410: "Gone: it existed and is no more (an export's archive past its lifetime)",
    429: "Too many requests: wait for Retry-After seconds",
}


def request_extra(call: Documented) -> dict[str, Any]:
    """The OpenAPI of a call's request: its body model, the reference's example, security."""
    content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{call.body.__name__}"}}
    example = REQUEST_EXAMPLES.get(call.path)
    if example is not None:
        content["examples"] = {
            "reference": {
                "summary": "The reference's example, as printed",
                "value": json.loads(example),
            }
        }
    extra: dict[str, Any] = {
        "requestBody": {"required": False, "content": {"application/json": content}}
    }
    if call.roles is not None:
        extra["security"] = [{"bearer": []}]
    return extra


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document; `errorCode` is stable (docs/api.md).",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errorCode": {"type": "string"},
        "errors": {
            "description": "Each bad field (a dotted path) with its messages; {} otherwise.",
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail", "errorCode", "errors"],
}


def _component(model: type[BaseModel]) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", model.__name__)


def _add_schema(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    for def_name, definition in schema.pop("$defs", {}).items():
        _add_schema(schemas, def_name, definition)
    known = schemas.get(name)
    if known is not None and known != schema:
        raise RuntimeError(f"two different models are both named {name} in the OpenAPI schema")
    schemas[name] = schema


def _responses(call: Documented) -> dict[str, Any]:
    if call.response is None:
        ok: dict[str, Any] = {"description": "Done; the answer has an empty body"}
    else:
        ref = {"$ref": f"#/components/schemas/{_component(call.response)}"}
        ok = {"description": "Done", "content": {"application/json": {"schema": ref}}}
    responses: dict[str, Any] = {"200": ok}
    for status in call.errors:
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        responses[str(status)] = {
            "description": STATUS_TITLES[status],
            "content": {"application/problem+json": problem},
        }
        if status == 429:
            responses["429"]["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before trying again",
                    "schema": {"type": "integer"},
                }
            }
    return responses


def document_bodies(app: FastAPI, calls: Sequence[Documented]) -> None:
    """`/docs` shows each call's body model (camelCase keys, as scripts send them), what its
    200 carries, and its error answers (problem documents)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        template = "#/components/schemas/{model}"
        for call in calls:
            schema = call.body.model_json_schema(by_alias=True, ref_template=template)
            _add_schema(schemas, call.body.__name__, schema)
            if call.response is not None:
                schema = call.response.model_json_schema(
                    by_alias=True, ref_template=template, mode="serialization"
                )
                _add_schema(schemas, _component(call.response), schema)
            document["paths"][call.path]["post"]["responses"] = _responses(call)
        schemas["Problem"] = PROBLEM_SCHEMA
        document["components"].setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        }
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
