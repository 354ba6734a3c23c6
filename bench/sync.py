"""Benchmark: synchronizing a GitHub organization of 10,000 repositories (recorded pages
served through httpx.MockTransport) into SQLite, beside the baseline of only listing them
through the driver (HTTP, JSON, paging) in the same run. Target: under 10 s.

    .venv/bin/python bench/sync.py [--repos 10000]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from repovault.app import prepare
from repovault.config import Settings
from repovault.logs import configure_logging
from repovault.organizations.models import Organization
from repovault.organizations.service import access_of
from repovault.providers.registry import driver_for
from repovault.runner.sync import synchronize
from repovault.runtime import build_runtime
from tests.providers.fake_github import FakeGitHub, repository

TARGET_SECONDS = 10.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=10_000)
    args = parser.parse_args()
    configure_logging(level=40)
    fake = FakeGitHub()
    fake.orgs["big"] = [repository(i, f"big/repo-{i:05d}") for i in range(1, args.repos + 1)]
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="repovault-bench-sync-")),
        admin_email="b@example.org",
        admin_password="bench-password",
    )
    built = build_runtime(settings)
    built.http.close()
    runtime = dataclasses.replace(built, http=fake.client())
    prepare(runtime)
    with runtime.db.session(write=True) as session:
        org = Organization(driver=1, name="big", token_sealed=runtime.box.seal("ghp_bench"))
        session.add(org)
        session.flush()
        org_id = org.id
        access = access_of(runtime.box, org)

    started = time.perf_counter()
    listed = list(driver_for(access, runtime.http).repositories())
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    first = synchronize(runtime, org_id)
    full = time.perf_counter() - started
    fake.orgs["big"][0] = repository(1, "big/renamed")
    del fake.orgs["big"][1]
    started = time.perf_counter()
    second = synchronize(runtime, org_id)
    again = time.perf_counter() - started
    runtime.close()

    print(f"  baseline: list {len(listed)} repositories through the driver {baseline:8.2f} s")
    print(f"  first synchronization ({len(first.added)} added)              {full:8.2f} s")
    print(
        f"  second synchronization ({second.renamed} renamed, {second.removed} removed)"
        f"          {again:8.2f} s"
    )
    ok = max(full, again) < TARGET_SECONDS
    print(f"  target: under {TARGET_SECONDS:.0f} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
