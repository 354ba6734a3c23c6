"""A lean HTTP/1.1 client for load generators: one keep-alive connection per caller.

The benchmarks' callers stand for clients on other machines, so what they cost must not
count against the server on the machine it shares with them. httpx's async client spends
~5 ms of CPU per call with 32 connections open (bench/call_cpu.py --http --clients 32
prints it), more than the calls themselves; this one spends a few hundredths of that: it
writes the request and reads the status line, the headers and `Content-Length` bytes of
body, and nothing else (no chunked bodies, no redirects, no TLS).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit


class Connection:
    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        fixed = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        self.fixed = "".join(f"{name}: {value}\r\n" for name, value in fixed.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: Any) -> tuple[int, bytes]:
        """(status, body) of `POST path` with `body` as JSON; reconnects when needed."""
        raw = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\n{self.fixed}Content-Type: application/json\r\n"
            f"Content-Length: {len(raw)}\r\n\r\n"
        ).encode()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(head + raw)
            lines = (await self.reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            length, close = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            answer = await self.reader.readexactly(length) if length else b""
        except BaseException:
            await self.close()
            raise
        if close:
            await self.close()
        return status, answer

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None
