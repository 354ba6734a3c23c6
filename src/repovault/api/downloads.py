"""The one GET of the API: an export's archive through its signed link
(`/git/repositories/download?task=&expires=&signature=`, made by `/git/repositories/
exportlink`). The signature is the authentication, so no token is asked for; an altered link
is a 403 problem, an expired one 410 (`repositories/exports.open_download`). The archive
streams from the storage in 1 MiB blocks."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from repovault.repositories import exports

BLOCK = 1024 * 1024


def download(
    request: Request, task: str = "", expires: str = "", signature: str = ""
) -> StreamingResponse:
    found = exports.open_download(
        request.app.state.runtime, task_id=task, expires=expires, signature=signature
    )

    def body() -> Iterator[bytes]:
        with found.stream:
            while block := found.stream.read(BLOCK):
                yield block

    return StreamingResponse(
        body(),
        media_type="application/gzip",
        headers={
            "Content-Disposition": f'attachment; filename="{found.file_name}"',
            "Content-Length": str(found.size),
            "Cache-Control": "no-store",
        },
    )


def install(app: FastAPI) -> None:
    app.add_api_route(exports.DOWNLOAD_PATH, download, methods=["GET"], include_in_schema=False)
