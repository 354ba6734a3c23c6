"""Benchmark: the backup engine against plain git, side by side in one run.

On repositories served over local smart HTTP (`git http-backend`):
  1. first backup of N copies of a generated real-sized repository (12,000 commits) with 4
     at a time, against `git clone --mirror` of the same copies at the same concurrency
     (target: at most 1.25x);
  2. the second backup with nothing changed (target: under 5% of the first);
  3. restore from a chain of one full and 30 incremental snapshots, against `git clone` from
     one bundle of the same state (target: at most 1.5x);
  4. peak memory of a worker process backing up a repository with a 1 GB pack, beside the
     same process's memory before the backup (target: under 200 MB).

    .venv/bin/python bench/engine.py [--copies 50] [--commits 12000] [--big-mb 1024]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.githttp import GitHttpServer
from repovault.backends.local import LocalBackend
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.restore import restore_to_directory
from repovault.engine.vault import Vault
from repovault.logs import configure_logging


def fast_import(repo: Path, commits: int, start: int = 0, files: int = 400) -> None:
    """Append `commits` commits (each changing one text file) to refs/heads/main."""
    process = subprocess.Popen(
        ["git", "--git-dir", str(repo), "fast-import", "--quiet"], stdin=subprocess.PIPE
    )
    assert process.stdin
    write = process.stdin.write
    rng = random.Random(start)
    for i in range(start, start + commits):
        message = f"commit {i}\n".encode()
        # Source-like text: most lines stay, a quarter change at each revision.
        body = "".join(
            f"    value_{j} = compute({rng.getrandbits(64):016x})  # file {i % files}\n"
            if j % 4 == (i // files) % 4
            else f"    value_{j} = stable({j}, {i % files})\n"
            for j in range(60)
        ).encode()
        write(
            f"commit refs/heads/main\nmark :{i + 1}\n"
            f"committer Bench <bench@example.org> {1_600_000_000 + i} +0000\n"
            f"data {len(message)}\n".encode()
            + message
        )
        if i > 0:
            write(f"from {'refs/heads/main^0' if i == start else f':{i}'}\n".encode())
        write(
            f"M 100644 inline dir{i % 20}/file{i % files}.txt\ndata {len(body)}\n".encode()
            + body
            + b"\n"
        )
        if i % 100 == 99:  # an incompressible asset now and then
            asset = rng.randbytes(100_000)
            write(f"M 100644 inline assets/{i}.bin\ndata {len(asset)}\n".encode() + asset + b"\n")
        if i % 500 == 499:
            write(f"reset refs/tags/v{i // 500}\nfrom :{i + 1}\n\n".encode())
    process.stdin.close()
    if process.wait() != 0:
        raise SystemExit("git fast-import failed")


def big_repository(repo: Path, megabytes: int) -> None:
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    # Random data has no deltas: spare git (server side) a pointless delta search.
    subprocess.run(
        ["git", "--git-dir", str(repo), "config", "core.bigFileThreshold", "1m"], check=True
    )
    process = subprocess.Popen(
        ["git", "--git-dir", str(repo), "fast-import", "--quiet"], stdin=subprocess.PIPE
    )
    assert process.stdin
    part = 64
    commands = [b"commit refs/heads/main\ncommitter B <b@x> 1600000000 +0000\ndata 3\nbig\n"]
    process.stdin.write(commands[0])
    with open("/dev/urandom", "rb") as random:
        for i in range(max(1, megabytes // part)):
            process.stdin.write(f"M 100644 inline blob{i}.bin\ndata {part << 20}\n".encode())
            remaining = part << 20
            while remaining:
                block = random.read(min(remaining, 1 << 20))
                process.stdin.write(block)
                remaining -= len(block)
            process.stdin.write(b"\n")
    process.stdin.close()
    process.wait()


def timed(label: str, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"  {label:58} {seconds:8.2f} s", flush=True)
    return seconds


def parallel(jobs: list[Callable[[], object]], workers: int) -> None:
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


MEMORY_PROBE = """
import resource, sys
from pathlib import Path
from repovault.logs import configure_logging
configure_logging(level=40)
from repovault.engine.backup import backup
from repovault.engine.vault import Vault
from repovault.backends.local import LocalBackend
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
root = Path(sys.argv[1])
vault = Vault(LocalBackend(root / "big-store"), "big/", password="bench")
backup(url=f"file://{root / 'big.git'}", vault=vault, cache=root / "big-cache")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before // 1024, after // 1024)
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--commits", type=int, default=12_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--chain", type=int, default=30)
    parser.add_argument("--big-mb", type=int, default=1024)
    args = parser.parse_args()
    configure_logging(level=40)
    work = Path(tempfile.mkdtemp(prefix="repovault-bench-engine-"))
    served = work / "served"
    served.mkdir()
    results: dict[str, bool] = {}
    try:
        template = served / "template.git"
        subprocess.run(["git", "init", "-q", "--bare", str(template)], check=True)
        timed(
            f"generate a repository of {args.commits} commits",
            lambda: (
                fast_import(template, args.commits),
                subprocess.run(["git", "--git-dir", str(template), "repack", "-adq"], check=True),
            ),
        )
        size = sum(p.stat().st_size for p in (template / "objects" / "pack").iterdir())
        print(f"  pack size {size / 1e6:.1f} MB")
        names = [f"copy-{i:02d}.git" for i in range(args.copies)]
        for name in names:
            shutil.copytree(template, served / name)
        with GitHttpServer(served) as server:
            mirrors = work / "mirrors"
            clone = timed(
                f"baseline: git clone --mirror x{args.copies}, {args.concurrency} at once",
                lambda: parallel(
                    [
                        lambda n=n: subprocess.run(  # type: ignore[misc]
                            ["git", "clone", "-q", "--mirror", server.url(n), str(mirrors / n)],
                            check=True,
                        )
                        for n in names
                    ],
                    args.concurrency,
                ),
            )
            storage = LocalBackend(work / "storage")

            def back_up_all() -> None:
                parallel(
                    [
                        lambda n=n: backup(  # type: ignore[misc]
                            url=server.url(n),
                            vault=Vault(storage, f"repositories/{n}/"),
                            cache=work / "cache" / n,
                        )
                        for n in names
                    ],
                    args.concurrency,
                )

            first = timed(f"repovault: first backup x{args.copies}", back_up_all)
            second = timed(f"repovault: second backup x{args.copies}, nothing changed", back_up_all)
        results["first backup <= 1.25x git clone --mirror"] = first <= 1.25 * clone
        results["unchanged run < 5% of the first"] = second < 0.05 * first
        print(f"  -> first/clone = {first / clone:.2f}x, second/first = {second / first:.1%}")

        chain_repo = served / "chain.git"
        shutil.copytree(template, chain_repo)
        vault = Vault(LocalBackend(work / "chain-store"), "chain/")
        backup(
            url=f"file://{chain_repo}",
            vault=vault,
            cache=work / "chain-cache",
            options=BackupOptions(kind="full"),
        )
        for i in range(args.chain):
            fast_import(chain_repo, 20, start=args.commits + i * 20)
            backup(url=f"file://{chain_repo}", vault=vault, cache=work / "chain-cache")
        print(f"  chain: {len(vault.manifests())} snapshots")
        bundle = work / "one.bundle"
        subprocess.run(
            ["git", "--git-dir", str(chain_repo), "bundle", "create", "-q", str(bundle), "--all"],
            check=True,
        )
        # Sub-second runs: five of each, interleaved, compared by their medians.
        clones, restores = [], []
        for attempt in range(5):
            target = work / f"from-bundle-{attempt}.git"
            clones.append(
                timed(
                    "baseline: git clone --mirror from one bundle",
                    lambda t=target: subprocess.run(  # type: ignore[misc]
                        ["git", "clone", "-q", "--mirror", str(bundle), str(t)], check=True
                    ),
                )
            )
            restores.append(
                timed(
                    f"repovault: restore full + {args.chain} incrementals",
                    lambda a=attempt: restore_to_directory(  # type: ignore[misc]
                        vault, work / f"restored-{a}.git"
                    ),
                )
            )
        from_bundle, restored = statistics.median(clones), statistics.median(restores)
        results["chain restore <= 1.5x clone from a bundle"] = restored <= 1.5 * from_bundle
        print(
            f"  -> medians: clone {from_bundle:.2f} s, restore {restored:.2f} s, "
            f"restore/clone = {restored / from_bundle:.2f}x"
        )

        timed(
            f"generate a repository with a {args.big_mb} MB pack",
            lambda: big_repository(work / "big.git", args.big_mb),
        )
        probe = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(work)],
            capture_output=True,
            text=True,
            check=True,
        )
        before, peak = (int(x) for x in probe.stdout.split())
        print(
            f"  worker memory: {before} MB after start-up (baseline), {peak} MB peak "
            f"while backing up the {args.big_mb} MB pack"
        )
        results["worker peak memory < 200 MB"] = peak < 200
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    for name, ok in results.items():
        print(f"  {'met   ' if ok else 'MISSED'} {name}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
