"""Benchmark: memory of an export (issue 12 §2) against the size of the repository.

Makes a repository holding `--megabytes` of incompressible files over two snapshots
(full, then incremental) in an encrypted local vault, then exports the newest as the worker
does: `engine.archive.stage` (the chain through `git index-pack`, the documents item by item)
and `engine.archive.tar_gz` streamed into the storage's `put`. Python's own allocations are
traced (tracemalloc peak); git runs in child processes, so their memory is not the worker's.

    .venv/bin/python bench/export_memory.py [--megabytes 200]

Exits non-zero when the traced peak passes 64 MiB, whatever the size (constant memory).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args()
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
