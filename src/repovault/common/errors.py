"""Errors the services raise; the API turns each into an RFC 9457 problem document.

Every error carries a stable `code` (the conventions' codes, such as `GT1001`) that scripts
can rely on, and, for bad input, `errors`: the bad fields, each with its messages.
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(
        self, code: str, detail: str, *, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors or {}


class InvalidInput(ServiceError):
    status = 400
    title = "Invalid input"

    @classmethod
    def field(cls, field: str, message: str, *, code: str = "RQ1002") -> InvalidInput:
        return cls(code, f"{field}: {message}", errors={field: [message]})


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class Unauthorized(ServiceError):
    status = 401
    title = "Unauthorized"


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


class TooManyRequests(ServiceError):
    status = 429
    title = "Too many requests"

    def __init__(self, code: str, detail: str, *, retry_after: int) -> None:
        super().__init__(code, detail)
        self.retry_after = retry_after
