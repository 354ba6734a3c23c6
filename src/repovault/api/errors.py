"""RFC 9457 problem documents for every error; no stack trace ever reaches a client."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from repovault.common import codes
from repovault.common.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    ServiceError,
    TooManyRequests,
    Unauthorized,
)

log = structlog.get_logger(__name__)

PROBLEM_TYPE = "https://repovault.dev/problems/"


def problem(
    status: int,
    title: str,
    detail: str,
    code: str,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "errorCode": code,
        "errors": errors or {},
    }
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def validation_errors(exc: ValidationError | RequestValidationError) -> dict[str, list[str]]:
    """Bad fields as dotted paths (`schedule.options.0.days.1`) with their messages."""
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        field = ".".join(str(part) for part in err.get("loc", ()) if part != "body") or "body"
        errors.setdefault(field, []).append(str(err.get("msg", "invalid value")))
    return errors


def validation_problem(exc: ValidationError | RequestValidationError) -> JSONResponse:
    errors = validation_errors(exc)
    detail = "; ".join(f"{field}: {msgs[0]}" for field, msgs in errors.items())
    return problem(400, "Invalid input", detail, codes.INVALID_FIELD, errors)


def internal_problem(path: str, exc: Exception) -> JSONResponse:
    """A bug: logged with its trace and the path; the client learns only that it happened."""
    log.exception("unhandled error", path=path, error=repr(exc))
    return problem(
        500,
        "Internal error",
        "the server failed; the error is logged with this request's path",
        codes.INTERNAL,
    )


# The one table from a domain error to its HTTP status and problem title.
STATUSES: dict[type[ServiceError], tuple[int, str]] = {
    InvalidInput: (400, "Invalid input"),
    Unauthorized: (401, "Unauthorized"),
    Forbidden: (403, "Forbidden"),
    NotFound: (404, "Not found"),
    Conflict: (409, "Conflict"),
    Gone: (410, "Gone"),
    TooManyRequests: (429, "Too many requests"),
    ServiceError: (400, "Bad request"),
}


def status_of(exc: ServiceError) -> tuple[int, str]:
    """The status and title of a domain error (its nearest class in `STATUSES`)."""
    for cls in type(exc).__mro__:
        if cls in STATUSES:
            return STATUSES[cls]
    return STATUSES[ServiceError]


def service_problem(exc: ServiceError) -> JSONResponse:
    headers = None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    status, title = status_of(exc)
    return problem(status, title, exc.detail, exc.code, exc.errors, headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_request: Request, exc: ServiceError) -> JSONResponse:
        return service_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return problem(404, "Not found", f"no call {request.url.path}", codes.NO_SUCH_CALL)
        if exc.status_code == 405:
            return problem(
                405,
                "Method not allowed",
                "every call of this API is POST with a JSON body",
                codes.METHOD_NOT_ALLOWED,
                headers={"Allow": "POST"},
            )
        return problem(exc.status_code, "Error", str(exc.detail), codes.INTERNAL)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return internal_problem(request.url.path, exc)
