"""Benchmark: memory of an export (issue 12 §2) against the size of the repository.

Makes a repository holding `--megabytes` of incompressible files over two snapshots
(full, then incremental) in an encrypted local vault, then exports the newest as the worker
does: `engine.archive.stage` (the chain through `git index-pack`, the documents item by item)
and `engine.archive.tar_gz` streamed into the storage's `put`. Python's own allocations are
traced (tracemalloc peak); git runs in child processes, so their memory is not the worker's.

    .venv/bin/python bench/export_memory.py [--megabytes 200]
    .venv/bin/python bench/export_memory.py --repositories 1,4,16 [--megabytes 8]

With `--repositories`, an organization's export instead: that many repositories of
`--megabytes` each (two snapshots each, encrypted), exported as ONE archive as the
`orgexport` worker does (`engine.archive.tar_gz_parts` pulling each repository staged in
turn, deleted once streamed), once per count given: the peak must not grow with the count.

Exits non-zero when the traced peak passes 64 MiB, whatever the size (constant memory).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from repovault.backends.local import LocalBackend
from repovault.engine import archive
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.streams import Digest, IterReader
from repovault.engine.vault import Vault
from repovault.providers.metadata import stream_items

LIMIT = 64 * 1024 * 1024
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b",
       "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}  # fmt: skip


def _commit(repo: Path, files: int, size: int, tag: str) -> None:
    for i in range(files):
        (repo / f"{tag}-{i}.bin").write_bytes(os.urandom(size))
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=ENV)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", tag], check=True, env=ENV)


def _issues(count: int) -> bytes:
    lines = (
        json.dumps({"number": n, "title": f"Issue {n}", "body": "x" * 500}) for n in range(count)
    )
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode()


def _backed_up(root: Path, storage: LocalBackend, name: str, megabytes: int) -> None:
    """A repository of `megabytes` in two snapshots (full, incremental), in its vault."""
    source = root / "sources" / name
    subprocess.run(["git", "init", "-q", "-b", "main", str(source)], check=True, env=ENV)
    vault = Vault(storage, f"repositories/{name}/p/", password="bench")
    half = max(1, megabytes // 2)
    for tag in ("first", "second"):
        _commit(source, half, 1024 * 1024, tag)
        options = BackupOptions(metadata={"issues.json": _issues(2_000)})
        backup(url=f"file://{source}", vault=vault, cache=root / "cache" / name, options=options)


def _parts(storage: LocalBackend, count: int, scratch: Path) -> Iterator[archive.Part]:
    """What the `orgexport` job streams: a README, each repository staged when pulled (its
    vault opened then, as the job does) and deleted once in the stream, an index."""
    yield "README.md", b"bench\n"
    for number in range(count):
        vault = Vault(storage, f"repositories/r{number}/p/", password="bench")
        manifests = vault.manifests()
        folder = scratch / "repository"
        archive.stage(
            vault, manifests, max(manifests), folder, name=f"r{number}", read_items=stream_items
        )
        yield f"r{number}", folder
        shutil.rmtree(folder)
    yield "index.json", b"{}\n"


def organization(counts: list[int], megabytes: int) -> int:
    worst = 0
    with tempfile.TemporaryDirectory(prefix="bench-orgexport-") as scratch:
        root = Path(scratch)
        storage = LocalBackend(root / "storage")
        for number in range(max(counts)):
            _backed_up(root, storage, f"r{number}", megabytes)
        for count in counts:
            tracemalloc.start()
            started = time.monotonic()
            stream = Digest(archive.tar_gz_parts("org", _parts(storage, count, root / "stage")))
            storage.put(f"exports/bench/org-{count}.tar.gz", IterReader(stream))
            elapsed = time.monotonic() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            worst = max(worst, peak)
            print(
                f"{count:3d} repositories of {megabytes} MiB: archive "
                f"{stream.size / 2**20:.0f} MiB in {elapsed:.1f} s, "
                f"traced Python peak {peak / 2**20:.1f} MiB"
            )
    print(f"limit {LIMIT / 2**20:.0f} MiB")
    return 0 if worst < LIMIT else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=None)
    parser.add_argument("--repositories", help="an organization's export: counts, 1,4,16")
    args = parser.parse_args()
    if args.repositories:
        counts = [int(c) for c in args.repositories.split(",")]
        return organization(counts, args.megabytes or 8)
    args.megabytes = args.megabytes or 200
    with tempfile.TemporaryDirectory(prefix="bench-export-") as scratch:
        root = Path(scratch)
        source = root / "source"
        subprocess.run(["git", "init", "-q", "-b", "main", str(source)], check=True, env=ENV)
        half = max(1, args.megabytes // 2)
        storage = LocalBackend(root / "storage")
        vault = Vault(storage, "repositories/r/p/", password="bench")
        for tag in ("first", "second"):
            _commit(source, half, 1024 * 1024, tag)
            options = BackupOptions(metadata={"issues.json": _issues(20_000)})
            backup(url=f"file://{source}", vault=vault, cache=root / "cache", options=options)
        manifests = vault.manifests()
        newest = max(manifests)
        tracemalloc.start()
        started = time.monotonic()
        archive.stage(vault, manifests, newest, root / "stage", name="r", read_items=stream_items)
        stream = Digest(archive.tar_gz(root / "stage", "r"))
        storage.put("exports/bench/r.tar.gz", IterReader(stream))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"repository {2 * half} MiB, archive {stream.size / 2**20:.0f} MiB in {elapsed:.1f} s")
    print(f"traced Python peak {peak / 2**20:.1f} MiB (limit {LIMIT / 2**20:.0f} MiB)")
    return 0 if peak < LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
