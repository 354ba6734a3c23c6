"""The console's routes and their error handling, which stays on them.

A page handler lets three errors out, and its route (not an app-wide exception handler)
answers them:

    LoginNeeded   -> a redirect to the login page (htmx: 204 with HX-Redirect)
    CsrfRejected  -> the error page, 403
    ServiceError  -> the error page, with the status the API gives that error

Anything else goes on to the app's handlers, the API's: the API's calls and every other
route keep their problem documents whatever the console does.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from repovault.api.errors import status_of
from repovault.common.errors import ServiceError
from repovault.console.shared import (
    COOKIE,
    PREFIX,
    CsrfRejected,
    LoginNeeded,
    console_of,
    messages,
    partial,
)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def to_login(request: Request) -> Response:
    """To the login page, the session's cookie dropped."""
    if partial(request):
        return Response(status_code=204, headers={"HX-Redirect": f"{PREFIX}/login"})
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


class ConsoleRoute(APIRoute):
    """A console page: its handler's errors answered as pages (see the module's docstring)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginNeeded:
                return to_login(request)
            except CsrfRejected as exc:
                return console_of(request).page(
                    request, "error.html", status=403, errors=[str(exc)]
                )
            except ServiceError as exc:
                status, _title = status_of(exc)
                return console_of(request).page(
                    request, "error.html", status=status, errors=messages(exc)
                )

        return answer


def router() -> APIRouter:
    """A router for a group of console pages (kept out of the API's OpenAPI document)."""
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False)
