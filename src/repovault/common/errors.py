"""Errors the domain services raise: what went wrong, never how HTTP says it.

Every error carries a stable `code` (the conventions' codes, such as `GT1001`) that scripts
can rely on, and, for bad input, `errors`: the bad fields, each with its messages. The API
turns each class into a status and an RFC 9457 problem document in one table
(`repovault.api.errors.STATUSES`).

    ServiceError
    ├── InvalidInput        the request is wrong (a field, the JSON, its size)
    ├── NotFound            an id names nothing
    ├── Conflict            the state forbids it now (exists already, running, in use)
    ├── Unauthorized        no caller: no token, a bad one, wrong credentials
    ├── Forbidden           the caller may not do this (roles)
    ├── Gone                it existed and is no more (an expired download link)
    └── TooManyRequests     slowed down (`retry_after` seconds)
"""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(
        self, code: str, detail: str, *, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors or {}


class InvalidInput(ServiceError):
    @classmethod
    def field(cls, field: str, message: str, *, code: str = "RQ1002") -> InvalidInput:
        return cls(code, f"{field}: {message}", errors={field: [message]})


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class Unauthorized(ServiceError):
    pass


class Forbidden(ServiceError):
    pass


class Gone(ServiceError):
    pass


class TooManyRequests(ServiceError):
    def __init__(self, code: str, detail: str, *, retry_after: int) -> None:
        super().__init__(code, detail)
        self.retry_after = retry_after
