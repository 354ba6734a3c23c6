"""Serves bare repositories over git's smart HTTP protocol on loopback, through the real
`git http-backend` CGI program. Used by the benchmarks (and usable by tests).

    with GitHttpServer(root) as server:
        url = server.url("project.git")
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit


def _backend() -> list[str]:
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    program = Path(exec_path) / "git-http-backend"
    return [str(program)] if program.exists() else ["git", "http-backend"]


class _Handler(BaseHTTPRequestHandler):
    root: Path
    backend: list[str]
    authorization: str | None
    seen_authorizations: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _cgi(self) -> None:
        sent = self.headers.get("Authorization")
        if sent:
            self.seen_authorizations.append(sent)
        if self.authorization is not None and sent != self.authorization:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "REMOTE_ADDR": self.client_address[0],
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        if length:
            env["CONTENT_LENGTH"] = str(length)
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        encoding = self.headers.get("Content-Encoding")
        if encoding:
            env["HTTP_CONTENT_ENCODING"] = encoding
        process = subprocess.Popen(
            self.backend,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin
        assert process.stdout

        def feed() -> None:
            remaining = length
            while remaining > 0:
                block = self.rfile.read(min(remaining, 1 << 16))
                if not block:
                    break
                process.stdin.write(block)  # type: ignore[union-attr]
                remaining -= len(block)
            process.stdin.close()  # type: ignore[union-attr]

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        status, headers = "200 OK", []
        while line := process.stdout.readline().rstrip(b"\r\n"):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "status":
                status = value.strip()
            else:
                headers.append((name, value.strip()))
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        shutil.copyfileobj(process.stdout, self.wfile, 1 << 16)
        process.stdout.close()
        process.wait()
        feeder.join()

    do_GET = _cgi
    do_POST = _cgi


class GitHttpServer:
    """`credentials` (user, password): answer 401 to requests without them."""

    def __init__(self, root: Path, credentials: tuple[str, str] | None = None) -> None:
        self.seen_authorizations: list[str] = []
        authorization = None
        if credentials:
            pair = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
            authorization = f"Basic {pair}"
        handler = type(
            "Handler",
            (_Handler,),
            {
                "root": root,
                "backend": _backend(),
                "authorization": authorization,
                "seen_authorizations": self.seen_authorizations,
            },
        )
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def __enter__(self) -> GitHttpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
