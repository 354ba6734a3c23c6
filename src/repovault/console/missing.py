"""The console's own 404: an address under `/console` that names no page gets an HTML page
saying so (with the way back), not the API's problem document. Registered last."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from repovault.console.routing import router as console_router
from repovault.console.shared import PREFIX, ConsoleDep

router = console_router()


@router.get(PREFIX + "/{_rest:path}")
async def missing(request: Request, console: ConsoleDep, _rest: str) -> HTMLResponse:
    return console.page(
        request,
        "error.html",
        status=404,
        errors=["There is no such page: the address may be mistyped, or what it named is gone."],
    )
