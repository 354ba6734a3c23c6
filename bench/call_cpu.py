"""Benchmark: CPU time per list call, in-process, through the whole ASGI app (issue 10).

Builds a SQLite database (one organization of `--repos` repositories, `--orgs` more with a
few each, a plan on the big one), then calls the app itself with hand-made ASGI messages, one
call after the other, so no HTTP client and no socket costs anything: what is counted is the
server's own work for a call (middlewares, the call pipeline, its thread hop, the token
check, the SQL, the answer), as process CPU time, which other users of the machine do not
inflate. The request log lines are written as `repovault serve` writes them (JSON), into a
file. uvicorn's HTTP parsing is not in it.

    .venv/bin/python bench/call_cpu.py [--repos 400] [--calls 500] [--rounds 5] [--profile 30]

`--profile N` also prints the N costliest functions (cProfile, cumulative and own time) of
one case (`--profiled`); the pipeline's thread hop is made inline then, so the one profiler
sees the handler.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import os
import pstats
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.http1 import Connection
from repovault.api import calls as calls_module
from repovault.app import create_app, prepare
from repovault.common.ids import new_id
from repovault.config import Settings
from repovault.logs import configure_logging
from repovault.organizations.models import Organization
from repovault.repositories.models import Repository
from repovault.runtime import Runtime, build_runtime

ADMIN = {"email": "bench@example.org", "password": "bench-password"}

Asgi = Callable[..., Any]


def populate(runtime: Runtime, repos: int, orgs: int) -> str:
    rng = random.Random(7)
    big = new_id()
    with runtime.db.session(write=True) as session:
        session.add(Organization(id=big, driver=6, name="bench"))
        for i in range(orgs):
            session.add(Organization(id=new_id(), driver=6, name=f"other-{i:03d}"))
        session.flush()
        session.execute(
            insert(Repository),
            [
                {
                    "id": new_id(),
                    "organization_id": big,
                    "server_id": f"file:///src/repo-{i:05d}",
                    "name": f"repo-{i:05d}",
                    "url": f"file:///src/repo-{i:05d}",
                    "is_removed": rng.random() < 0.1,
                    "licence_active": rng.random() < 0.5,
                    "last_backup": rng.randrange(10**12),
                }
                for i in range(repos)
            ],
        )
    return big


async def call(app: Asgi, path: str, body: dict[str, Any], token: str | None) -> tuple[int, bytes]:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    status = 0
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def measure(
    app: Asgi, cases: dict[str, tuple[str, dict[str, Any]]], token: str, n: int, rounds: int
) -> None:
    """Each case `n` calls a round, the cases in turn, `rounds` rounds: the least CPU per
    call of a round is the figure (what the machine's other users added is not)."""
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    wall: dict[str, list[float]] = {name: [] for name in cases}
    sizes: dict[str, int] = {}
    for path, body in cases.values():
        for _ in range(max(n // 10, 20)):  # warm-up
            status, answer = await call(app, path, body, token)
            if status != 200:
                print(f"{path}: {status} {answer[:300]!r} (the log: {sys.stderr.name})")
                raise SystemExit(1)
    for _ in range(rounds):
        for name, (path, body) in cases.items():
            started_cpu, started = time.process_time(), time.perf_counter()
            for _ in range(n):
                _status, answer = await call(app, path, body, token)
            cpu[name].append((time.process_time() - started_cpu) / n * 1000)
            wall[name].append((time.perf_counter() - started) / n * 1000)
            sizes[name] = len(answer)
    print(f"{'call':28} {'CPU ms/call':>12} {'wall ms/call':>13} {'answer bytes':>13}")
    for name in cases:
        print(f"{name:28} {min(cpu[name]):12.3f} {min(wall[name]):13.3f} {sizes[name]:13d}")


async def profile(
    app: Asgi, path: str, body: dict[str, Any], token: str, n: int, top: int, dump: str
) -> None:
    async def inline(func: Callable[..., Any], *args: Any) -> Any:
        return func(*args)

    calls_module.run_in_threadpool = inline  # type: ignore[assignment]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        await call(app, path, body, token)
    profiler.disable()
    if dump:
        profiler.dump_stats(dump)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print(out.getvalue())


def server_cpu(pid: int) -> float:
    """CPU seconds a process has used, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def over_http(data: Path, cases: dict[str, tuple[str, dict[str, Any]]], args: Any) -> None:
    """The same cases against `repovault serve` (its embedded worker off): the server
    process's CPU per call, uvicorn's HTTP included, with `--clients` callers at once."""
    port = free_port()
    env = {
        **os.environ,
        "REPOVAULT_DATA_DIR": str(data),
        "REPOVAULT_PORT": str(port),
        "REPOVAULT_RUN_WORKER": "false",
        "REPOVAULT_SYNC_INTERVAL_MINUTES": "0",
    }
    with (data / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "repovault", "serve"], env=env, stderr=log, stdout=log
        )
    try:
        asyncio.run(_http_rounds(server.pid, f"http://127.0.0.1:{port}", cases, args))
    finally:
        server.terminate()
        server.wait(30)


async def _login(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for _ in range(600):
            try:
                return str((await client.post("/account/login", json=ADMIN)).json()["accessToken"])
            except (httpx.HTTPError, KeyError, ValueError):
                await asyncio.sleep(0.1)
    raise SystemExit(f"the server at {base} did not start")


Post = Callable[[int, str, dict[str, Any]], Awaitable[int]]


async def _http_rounds(
    pid: int, base: str, cases: dict[str, tuple[str, dict[str, Any]]], args: Any
) -> None:
    token = await _login(base)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        connections = [Connection(base, headers) for _ in range(args.clients)]

        async def lean(i: int, path: str, body: dict[str, Any]) -> int:
            return (await connections[i].post(path, body))[0]

        async def full(_i: int, path: str, body: dict[str, Any]) -> int:
            return (await client.post(path, json=body, headers=headers)).status_code

        post: Post = lean if args.client == "lean" else full

        async def batch(path: str, body: dict[str, Any], n: int) -> list[float]:
            latencies: list[float] = []

            async def caller(i: int, count: int) -> None:
                for _ in range(count):
                    started = time.perf_counter()
                    status = await post(i, path, body)
                    latencies.append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        raise SystemExit(f"{path}: {status}")

            share = [n // args.clients + (i < n % args.clients) for i in range(args.clients)]
            await asyncio.gather(*(caller(i, k) for i, k in enumerate(share) if k))
            return latencies

        cpu: dict[str, list[float]] = {name: [] for name in cases}
        p50: dict[str, list[float]] = {name: [] for name in cases}
        p99: dict[str, list[float]] = {name: [] for name in cases}
        rate: dict[str, list[float]] = {name: [] for name in cases}
        mine: dict[str, list[float]] = {name: [] for name in cases}
        for path, body in cases.values():
            await batch(path, body, max(args.calls // 10, 20))  # warm-up
        for _ in range(args.rounds):
            for name, (path, body) in cases.items():
                before, started = server_cpu(pid), time.perf_counter()
                own = time.process_time()
                latencies = sorted(await batch(path, body, args.calls))
                mine[name].append((time.process_time() - own) / args.calls * 1000)
                rate[name].append(args.calls / (time.perf_counter() - started))
                cpu[name].append((server_cpu(pid) - before) / args.calls * 1000)
                p50[name].append(latencies[len(latencies) // 2])
                p99[name].append(latencies[max(int(len(latencies) * 0.99) - 1, 0)])
        for connection in connections:
            await connection.close()
    print(f"\nover HTTP (repovault serve), {args.clients} {args.client} clients at once")
    print(
        f"{'call':28} {'server CPU ms/call':>19} {'p50 ms':>8} {'p99 ms':>8} {'calls/s':>8}"
        f" {'client CPU ms/call':>19}"
    )
    for name in cases:
        print(
            f"{name:28} {min(cpu[name]):19.3f} {min(p50[name]):8.1f} {min(p99[name]):8.1f}"
            f" {max(rate[name]):8.0f} {min(mine[name]):19.3f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=400)
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--calls", type=int, default=500, help="calls of a case per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, metavar="TOP")
    parser.add_argument("--profiled", default="repositories/getmany 40", help="the case profiled")
    parser.add_argument("--profile-out", default="", help="also write the profile to this file")
    parser.add_argument("--http", action="store_true", help="also over HTTP, `repovault serve`")
    parser.add_argument("--clients", type=int, default=1, help="callers at once over HTTP")
    parser.add_argument("--client", choices=("lean", "httpx"), default="lean")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="repovault-bench-cpu-"))
    settings = Settings(
        data_dir=data,
        admin_email=ADMIN["email"],
        admin_password=ADMIN["password"],
        password_time_cost=1,
        password_memory_kib=64,
        run_worker=False,
        sync_interval_minutes=0,
    )
    configure_logging(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sys.stderr = (data / "server.log").open("w")
    runtime = build_runtime(settings)
    prepare(runtime)
    org = populate(runtime, args.repos, args.orgs)
    app = create_app(runtime=runtime)
    cases = {
        "/account/me": ("/account/me", {}),
        "repositories/getmany 40": (
            "/git/repositories/getmany",
            {"id": org, "limit": 40, "orderby": "name"},
        ),
        "repositories/getmany 100": (
            "/git/repositories/getmany",
            {"id": org, "limit": 100, "orderby": "name"},
        ),
        "organizations/getmany 25": ("/git/organizations/getmany", {"limit": 25}),
    }

    async def run() -> None:
        status, answer = await call(app, "/account/login", ADMIN, None)
        assert status == 200, answer
        token = json.loads(answer)["accessToken"]
        print(
            f"{args.repos} repositories, {args.orgs + 1} organizations, "
            f"{args.rounds} rounds of {args.calls} calls each"
        )
        await measure(app, cases, token, args.calls, args.rounds)
        if args.profile:
            path, body = cases[args.profiled]
            await profile(
                app, path, body, token, args.calls * args.rounds, args.profile, args.profile_out
            )

    asyncio.run(run())
    runtime.close()
    if args.http:
        over_http(data, cases, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
