"""Registers the API's calls with one uniform pipeline.

Every call is `POST` with a JSON body. For each request:

    read body (size-limited) -> authenticate (Bearer JWT, not revoked, user exists)
      -> check roles -> parse JSON ({} when empty) -> validate into the call's model
      -> run the handler in one transaction -> 200 with JSON, or 200 with an empty body

Authentication comes before validation, so a caller without a token learns nothing about
the body. The handler runs with its own session and never sees HTTP: in a worker thread,
or, for a `quick` call on SQLite (a read of the database only, which never waits for a
lock in WAL mode), on the event loop itself. A thread hop costs more than such a call, and
under load the threads of many calls take the GIL from each other and from the event loop
(bench/call_cpu.py --http --clients 32 measures both).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, cast, get_type_hints

import structlog
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from repovault.accounts import service as accounts
from repovault.accounts.roles import Role, allowed
from repovault.api.context import Context
from repovault.api.errors import (
    internal_problem,
    service_problem,
    status_of,
    validation_problem,
)
from repovault.api.openapi import document_bodies, request_extra
from repovault.audit import service as audit
from repovault.common import codes
from repovault.common.clock import now_ms
from repovault.common.errors import Forbidden, InvalidInput, ServiceError
from repovault.common.wire import RequestModel
from repovault.runtime import Runtime

log = structlog.get_logger(__name__)

Handler = Callable[[Context, Any], Any]


class EmptyBody(RequestModel):
    pass


class _Derived:
    """`response` not given: the handler's return annotation says it (a model, or None)."""


DERIVED: Any = _Derived()


@dataclass(frozen=True)
class Call:
    path: str
    handler: Handler
    body: type[RequestModel]
    roles: frozenset[Role] | None  # None: no token needed
    write: bool
    summary: str
    tag: str
    # What a 200 carries: a model, or None for an empty body.
    response: type[BaseModel] | None = None
    # The error statuses it documents.
    errors: tuple[int, ...] = (400,)
    # Reads the database only, a page at a time: on SQLite it runs on the event loop.
    quick: bool = False


def _response_model(handler: Handler, response: Any) -> type[BaseModel] | None:
    if response is not DERIVED:
        return cast("type[BaseModel] | None", response)
    returned = get_type_hints(handler).get("return")
    if returned is None or returned is type(None):
        return None
    if isinstance(returned, type) and issubclass(returned, BaseModel):
        return returned
    raise TypeError(f"{handler.__qualname__}: name the response model (response=...)")


def _error_statuses(
    body: type[RequestModel], roles: frozenset[Role] | None, write: bool
) -> tuple[int, ...]:
    statuses = {400}
    if roles is not None:
        statuses |= {401, 403}
    if any(name == "id" or name.endswith("_id") for name in body.model_fields):
        statuses.add(404)
    if write:
        statuses.add(409)
    return tuple(sorted(statuses))


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
        response: Any = DERIVED,
        errors: tuple[int, ...] | None = None,
        quick: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Registers a call. `response` documents what a 200 carries (a model; None for an
        empty body); by default the handler's return annotation. `errors` are the error
        statuses documented; by default derived from the roles, the body's id fields
        (404) and whether the call writes (409). `quick`: the call only reads the database
        (no storage, no platform, no password hash), so on SQLite it runs on the event
        loop itself: no thread hop, no threads taking the GIL from each other."""
        if quick and write:
            raise ValueError(f"{path}: a quick call only reads")

        def register(handler: Handler) -> Handler:
            summary = (handler.__doc__ or path).strip().splitlines()[0]
            call = Call(
                path.lower(),
                handler,
                body,
                roles,
                write,
                summary,
                self.tag,
                _response_model(handler, response),
                errors if errors is not None else _error_statuses(body, roles, write),
                quick,
            )
            self.calls.append(call)
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


@dataclass
class _Seen:
    """What a call had established when it ended: for its audit entry."""

    user_id: str | None = None
    email: str = ""
    body: Any = None


def _event(call: Call, seen: _Seen, addr: str, status: int, outcome: str, *answers: Any) -> Any:
    return audit.Event(
        call=call.path,
        status=status,
        outcome=outcome,
        user_id=seen.user_id,
        user_email=seen.email,
        address=addr,
        objects=audit.objects_of(seen.body, *answers),
    )


def _audit_failure(runtime: Runtime, call: Call, seen: _Seen, addr: str, exc: Exception) -> None:
    """A failed state-changing call's entry, in a transaction of its own (the call's was
    rolled back). The entry is never worth more than the answer: a failure here is logged."""
    if isinstance(exc, ServiceError):
        status, outcome = status_of(exc)[0], exc.code
    elif isinstance(exc, ValidationError):
        status, outcome = 400, codes.INVALID_FIELD
    else:
        status, outcome = 500, codes.INTERNAL
    try:
        with runtime.db.session(write=True) as session:
            audit.record(session, _event(call, seen, addr, status, outcome), now=now_ms())
    except Exception as failure:
        log.error("audit entry not written", call=call.path, error=str(failure))


def _execute(
    runtime: Runtime,
    call: Call,
    raw: bytes,
    token: str | None,
    addr: str,
    finish: Callable[[Any], Any] = lambda result: result,
) -> Any:
    """The whole call in one transaction. `finish` turns the result into what is returned
    (for HTTP, the encoded response) before the commit: an answer that cannot be encoded
    rolls the call back instead of failing after it. A state-changing call leaves an audit
    entry: in the same transaction when it succeeds, after the rollback when it fails."""
    seen = _Seen()
    try:
        with runtime.db.session(write=call.write) as session:
            ctx = Context(session=session, runtime=runtime, client_addr=addr)
            if call.roles is not None:
                ctx.user, ctx.claims = accounts.authenticate(session, runtime.tokens, token=token)
                seen.user_id, seen.email = ctx.user.id, ctx.user.email
                if not allowed(ctx.user.roles, call.roles):
                    needed = sorted({Role.SYSTEM_ADMINISTRATOR, *call.roles})
                    raise Forbidden(
                        codes.ROLE_MISSING, f"{call.path} needs one of the roles {needed}"
                    )
            body = _parse(raw, call.body)
            seen.body = body.model_dump(mode="json", by_alias=True)
            if call.roles is None:  # the login: whom it names
                seen.email = str(getattr(body, "email", "") or "")
            answer = _serialize(call.handler(ctx, body))
            result = finish(answer)
            if call.write:
                audit.record(session, _event(call, seen, addr, 200, "ok", answer), now=now_ms())
    except Exception as exc:
        if call.write:
            _audit_failure(runtime, call, seen, addr, exc)
        raise
    for action in ctx.after_commit:
        action()
    return result


class Invoker:
    """Runs an API call by its path through the same pipeline as HTTP (token, roles,
    validation, transaction): the web console acts exactly as the API would."""

    def __init__(self, runtime: Runtime, calls: list[Call]) -> None:
        self.runtime = runtime
        self.calls = {call.path: call for call in calls}

    def __call__(self, path: str, body: dict[str, Any], *, token: str | None, addr: str) -> Any:
        call = self.calls[path.lower()]
        return _execute(self.runtime, call, json.dumps(body).encode(), token, addr)


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


def _endpoint(call: Call) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    async def endpoint(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        try:
            raw = await _read_body(request, runtime.settings.max_body_bytes)
            addr = request.client.host if request.client else ""
            args = (runtime, call, raw, _bearer(request), addr, _respond)
            if call.quick and runtime.db.is_sqlite:
                response: Response = _execute(*args)
            else:
                response = await run_in_threadpool(_execute, *args)
        except ServiceError as exc:
            return service_problem(exc)
        except ValidationError as exc:
            return validation_problem(exc)
        except Exception as exc:
            return internal_problem(call.path, exc)
        return response

    endpoint.__name__ = call.path.strip("/").replace("/", "_") or "root"
    return endpoint


class CallRoute(APIRoute):
    """A call's route: FastAPI documents it, but the request goes straight to the call's
    endpoint, which reads the body and answers itself (no dependencies to solve, no body
    parsed twice)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


def mount(app: FastAPI, *groups: Calls) -> None:
    calls = [call for group in groups for call in group.calls]
    for call in calls:
        app.router.add_api_route(
            call.path,
            _endpoint(call),
            methods=["POST"],
            summary=call.summary,
            tags=[call.tag],
            openapi_extra=request_extra(call),
            route_class_override=CallRoute,
        )
    document_bodies(app, calls)
    app.state.invoke = Invoker(app.state.runtime, calls)
