"""Registers the API's calls with one uniform pipeline.

Every call is `POST` with a JSON body. For each request:

    read body (size-limited) -> authenticate (Bearer JWT, not revoked, user exists)
      -> check roles -> parse JSON ({} when empty) -> validate into the call's model
      -> run the handler in one transaction -> 200 with JSON, or 200 with an empty body

Authentication comes before validation, so a caller without a token learns nothing about
the body. The handler runs in a worker thread with its own session; it never sees HTTP.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from repovault.accounts import service as accounts
from repovault.accounts.roles import Role, allowed
from repovault.api.errors import internal_problem, service_problem, validation_problem
from repovault.api.examples import REQUEST_EXAMPLES
from repovault.common import codes
from repovault.common.context import Context, Services
from repovault.common.errors import Forbidden, InvalidInput, ServiceError
from repovault.common.wire import RequestModel

Handler = Callable[[Context, Any], Any]


class EmptyBody(RequestModel):
    pass


@dataclass(frozen=True)
class Call:
    path: str
    handler: Handler
    body: type[RequestModel]
    roles: frozenset[Role] | None  # None: no token needed
    write: bool
    summary: str
    tag: str


class Calls:
    """A list of calls, mounted on the app together."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.calls: list[Call] = []

    def post(
        self,
        path: str,
        *,
        body: type[RequestModel] = EmptyBody,
        roles: frozenset[Role] | None,
        write: bool,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            summary = (handler.__doc__ or path).strip().splitlines()[0]
            self.calls.append(Call(path.lower(), handler, body, roles, write, summary, self.tag))
            return handler

        return register


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def _parse(raw: bytes, model: type[RequestModel]) -> RequestModel:
    if not raw.strip():
        data: Any = {}
    else:
        try:
            # NaN, Infinity and 1e999 are not JSON numbers: stored, no answer could show them.
            data = json.loads(raw, parse_constant=_not_json, parse_float=_finite)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise InvalidInput(codes.INVALID_JSON, f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput(codes.INVALID_JSON, "the body must be a JSON object")
    return model.model_validate(data)


def _serialize(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", by_alias=True)
    return result


def _respond(result: Any) -> Response:
    if result is None:
        return Response(status_code=200)
    return JSONResponse(result)


def _execute(
    services: Services,
    call: Call,
    raw: bytes,
    token: str | None,
    addr: str,
    finish: Callable[[Any], Any] = lambda result: result,
) -> Any:
    """The whole call in one transaction. `finish` turns the result into what is returned
    (for HTTP, the encoded response) before the commit: an answer that cannot be encoded
    rolls the call back instead of failing after it."""
    with services.db.session(write=call.write) as session:
        ctx = Context(session=session, services=services, client_addr=addr)
        if call.roles is not None:
            ctx.user, ctx.claims = accounts.authenticate(ctx, token=token)
            if not allowed(ctx.user.roles, call.roles):
                needed = sorted({Role.SYSTEM_ADMINISTRATOR, *call.roles})
                raise Forbidden(codes.ROLE_MISSING, f"{call.path} needs one of the roles {needed}")
        body = _parse(raw, call.body)
        result = finish(_serialize(call.handler(ctx, body)))
    for action in ctx.after_commit:
        action()
    return result


class Invoker:
    """Runs an API call by its path through the same pipeline as HTTP (token, roles,
    validation, transaction): the web console acts exactly as the API would."""

    def __init__(self, services: Services, calls: list[Call]) -> None:
        self.services = services
        self.calls = {call.path: call for call in calls}

    def __call__(self, path: str, body: dict[str, Any], *, token: str | None, addr: str) -> Any:
        call = self.calls[path.lower()]
        return _execute(self.services, call, json.dumps(body).encode(), token, addr)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise InvalidInput(codes.BODY_TOO_LARGE, f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidInput(codes.BODY_TOO_LARGE, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _endpoint(call: Call) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        try:
            raw = await _read_body(request, services.settings.max_body_bytes)
            addr = request.client.host if request.client else ""
            response: Response = await run_in_threadpool(
                _execute, services, call, raw, _bearer(request), addr, _respond
            )
        except ServiceError as exc:
            return service_problem(exc)
        except ValidationError as exc:
            return validation_problem(exc)
        except Exception as exc:
            return internal_problem(call.path, exc)
        return response

    endpoint.__name__ = call.path.strip("/").replace("/", "_") or "root"
    return endpoint


def mount(app: FastAPI, *groups: Calls) -> None:
    calls = [call for group in groups for call in group.calls]
    for call in calls:
        app.add_api_route(
            call.path,
            _endpoint(call),
            methods=["POST"],
            summary=call.summary,
            tags=[call.tag],
            openapi_extra=_openapi(call),
        )
    _document_bodies(app, calls)
    app.state.invoke = Invoker(app.state.services, calls)


def _openapi(call: Call) -> dict[str, Any]:
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


def _document_bodies(app: FastAPI, calls: list[Call]) -> None:
    """`/docs` shows each call's body model (camelCase keys, as scripts send them)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for call in calls:
            schema = call.body.model_json_schema(
                by_alias=True, ref_template="#/components/schemas/{model}"
            )
            schemas.update(schema.pop("$defs", {}))
            schemas[call.body.__name__] = schema
        document["components"].setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        }
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
