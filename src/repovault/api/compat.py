"""Wire compatibility with the reference API.

- Paths are case-insensitive and a trailing slash is ignored: `PathFolding` rewrites the
  path before routing, so every route is registered once, in lower case.
- JSON keys in requests are case-insensitive: see `repovault.common.wire`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

# Paths served as they are (documentation pages are case-sensitive static assets).
UNFOLDED_PREFIXES = ("/docs", "/openapi.json", "/redoc")


class PathFolding:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if not path.startswith(UNFOLDED_PREFIXES):
                folded = path.lower()
                if len(folded) > 1:
                    folded = folded.rstrip("/") or "/"
                if folded != path:
                    scope = dict(scope, path=folded, raw_path=folded.encode())
        await self.app(scope, receive, send)
