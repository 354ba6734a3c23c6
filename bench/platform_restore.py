"""Benchmark: a restore into a platform (issue 12 §3) against the write-capable fake, with
zero latency (127.0.0.1): how many API requests per object created, and the time per object.

The snapshot: 1,000 issues (40% closed), 300 pull requests (150 open from branches of the
snapshot, so pull requests again; 150 merged from branches deleted since, so labelled
issues), 5,000 conversation comments, a review and a review comment on each pull request,
5 labels, 3 milestones, 50 releases (tags of the snapshot) with a 64 KiB file each. It is
restored into the GitHub fake, the Gitea fake and the GitLab fake.

    .venv/bin/python bench/platform_restore.py [--issues 1000 --pulls 300 --comments 5000
                                                --releases 50]

Prints, per platform: requests (reads and writes), objects created, requests per object
(goal <= 1.05), the listings (each must be read once), and the time per object. Exits
non-zero when a listing is read twice, or when a rerun creates anything.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from repovault.backends.local import LocalBackend
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.metadata import write_document
from repovault.providers.writes import writer_for
from repovault.runner.restore_platform import Record, Wanted, restore_into
from tests.providers.fake_gitlab_writable import WritableGitLab
from tests.providers.fake_writable import WritablePlatform

TOKEN = "bench-token"
API = "https://api.github.com/repos/acme/app"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b",
       "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}  # fmt: skip


def _repository(folder: Path, branches: int, tags: int) -> Path:
    """main with one commit; `topic-<i>` one commit ahead of it; tags v1..vN on main."""
    repo = folder / "source.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
    lines = ["blob", "mark :1", "data 5", "main", "", "commit refs/heads/main", "mark :2",
             "committer b <b@b> 1700000000 +0000", "data 4", "main",
             "M 100644 :1 main.txt", ""]  # fmt: skip
    for i in range(branches):
        text = f"topic {i}"
        lines += [f"commit refs/heads/topic-{i}", "committer b <b@b> 1700000000 +0000",
                  "data 5", "topic", "from :2", f"M 100644 inline topic-{i}.txt",
                  f"data {len(text)}", text, ""]  # fmt: skip
    for i in range(1, tags + 1):
        lines += [f"reset refs/tags/v{i}", "from :2", ""]
    data = "\n".join(lines).encode() + b"\n"
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=data, check=True)
    return repo


def _user(login: str) -> dict[str, Any]:
    return {"login": login}


def _documents(args: argparse.Namespace) -> dict[str, list[Any]]:
    total = args.issues + args.pulls
    every = max(1, total // args.pulls) if args.pulls else total + 1
    pull_numbers = [n for n in range(1, total + 1) if n % every == 0][: args.pulls]
    numbers = [n for n in range(1, total + 1) if n not in set(pull_numbers)]
    labels = [{"id": i, "name": f"label-{i}", "color": "ededed"} for i in range(1, 6)]
    milestones = [{"id": i, "number": i, "title": f"m{i}", "state": "open"} for i in (1, 2, 3)]
    issues = [
        {
            "id": 10_000 + n,
            "number": n,
            "title": f"Issue {n}",
            "body": f"The body of issue {n}.",
            "state": "closed" if i % 5 < 2 else "open",
            "user": _user("alice"),
            "labels": [labels[n % 5]],
            "milestone": milestones[n % 3],
            "created_at": "2024-01-01T00:00:00Z",
        }
        for i, n in enumerate(numbers)
    ]
    pulls = []
    for i, n in enumerate(pull_numbers):
        merged = i % 2 == 1
        pulls.append(
            {
                "id": 20_000 + n,
                "number": n,
                "title": f"Pull {n}",
                "body": f"The description of pull request {n}.",
                "state": "closed" if merged else "open",
                "merged_at": "2024-02-01T00:00:00Z" if merged else None,
                "user": _user("bob"),
                "labels": [labels[n % 5]],
                "head": {"ref": f"deleted-{i}" if merged else f"topic-{i // 2}"},
                "base": {"ref": "main"},
                "created_at": "2024-01-02T00:00:00Z",
            }
        )
    every_number = sorted([*numbers, *pull_numbers])
    comments = [
        {
            "id": 100_000 + c,
            "body": f"Comment {c}.",
            "user": _user("carol"),
            "created_at": f"2024-03-01T00:{c // 60 % 60:02d}:{c % 60:02d}Z",
            "issue_url": f"{API}/issues/{every_number[c % len(every_number)]}",
        }
        for c in range(args.comments)
    ]
    reviews = [
        {"id": 300_000 + p["number"], "pull_request": p["number"], "state": "APPROVED",
         "body": "Fine.", "user": _user("dave"), "submitted_at": "2024-04-01T00:00:00Z"}
        for p in pulls
    ]  # fmt: skip
    review_comments = [
        {"id": 400_000 + p["number"], "path": "main.txt", "line": 1, "body": "Here.",
         "diff_hunk": "@@ -1 +1 @@\n-main\n+topic", "user": _user("dave"),
         "created_at": "2024-03-31T00:00:00Z", "pull_request_url": f"{API}/pulls/{p['number']}"}
        for p in pulls
    ]  # fmt: skip
    releases = [
        {"id": 500 + r, "tag_name": f"v{r}", "name": f"Version {r}", "body": "Notes.",
         "draft": False, "prerelease": r % 10 == 0, "author": _user("erin"),
         "created_at": "2024-05-01T00:00:00Z",
         "assets": [{"id": 900 + r, "name": f"app-{r}.tar.gz"}]}
        for r in range(1, args.releases + 1)
    ]  # fmt: skip
    return {
        "labels.json": labels,
        "milestones.json": milestones,
        "issues.json": issues,
        "pull-requests.json": pulls,
        "issue-comments.json": comments,
        "reviews.json": reviews,
        "review-comments.json": review_comments,
        "releases.json": releases,
    }


def _snapshot(folder: Path, args: argparse.Namespace) -> tuple[Vault, Manifest]:
    documents = _documents(args)
    meta = folder / "meta"
    stored: dict[str, bytes | Path] = {}
    counts: dict[str, int] = {}
    for name, items in documents.items():
        stored[name], counts[name] = write_document(meta, name, items)
    for release in documents["releases.json"]:
        for asset in release["assets"]:
            stored[f"release-assets/{release['id']}/{asset['name']}"] = os.urandom(64 * 1024)
    repo = _repository(folder, (args.pulls + 1) // 2, args.releases)
    vault = Vault(LocalBackend(folder / "store"), "r/")
    made = backup(
        url=f"file://{repo}",
        vault=vault,
        cache=folder / "cache",
        options=BackupOptions(metadata=stored, counts=counts),
    )
    assert made.snapshot is not None
    return vault, made.snapshot


def _record(previous: dict[str, Any]) -> Record:
    return Record(
        result={},
        previous=previous,
        log=lambda _level, _message: None,
        report=lambda _percent, _text: None,
        check=lambda: None,
        save=lambda: None,
    )


def _run(folder: Path, snapshot: tuple[Vault, Manifest], gitea: bool) -> bool:
    target = folder / ("gitea" if gitea else "github")
    target.mkdir()
    with WritablePlatform(target, gitea=gitea, token=TOKEN) as served, httpx.Client() as http:
        platform = served.platform
        access = Access(5 if gitea else 1, "acme", served.api_url, None, TOKEN)
        writer = writer_for(access, http)
        setup = len(platform.requests)  # the owner's kind, asked once by writer_for
        wanted = Wanted(name="app", description="bench", private=True)
        record = _record({})
        began = time.perf_counter()
        restore_into(writer, *snapshot, wanted, record)
        seconds = time.perf_counter() - began
        requests = platform.requests[setup:]
        created = sum(1 for r in requests if r.startswith("POST") and r != "POST /graphql")
        kinds = Counter(r.split(" ", 1)[0] for r in requests)
        listings = Counter(r for r in requests if r.startswith("GET"))
        repeated = {r: n for r, n in listings.items() if n > 1 and r != "GET /repos/acme/app"}
        name = "Gitea" if gitea else "GitHub"
        print(
            f"{name}: {len(requests)} requests ({dict(kinds)}) for {created} objects created: "
            f"{len(requests) / created:.3f} requests per object; "
            f"{seconds:.1f} s, {1000 * seconds / created:.2f} ms per object"
        )
        print(f"  reads: {sorted(listings.items())}")
        numbered = Counter(w.split(" ", 1)[1] for w in requests if w.startswith("POST"))
        print(
            f"  pull requests: {numbered['/repos/acme/app/pulls']}, GraphQL requests: "
            f"{numbered['/graphql']}"
        )
        before = len(platform.requests)
        restore_into(writer, *snapshot, wanted, _record(dict(record.result)))
        again = platform.requests[before:]
        posts = [r for r in again if r.startswith("POST") and r != "POST /graphql"]
        print(f"  a rerun: {len(again)} requests, {len(posts)} creations")
        if repeated:
            print(f"  listings read more than once: {repeated}")
        return not repeated and not posts


def _run_gitlab(folder: Path, snapshot: tuple[Vault, Manifest]) -> bool:
    """The same snapshot into the fake GitLab (providers/writes_gitlab.py)."""
    with WritableGitLab(folder / "gitlab", token=TOKEN) as served, httpx.Client() as http:
        state = served.gitlab
        writer = writer_for(Access(3, "acme", served.api_url, None, TOKEN), http)
        wanted = Wanted(name="app", description="bench", private=True)
        record = _record({})
        began = time.perf_counter()
        restore_into(writer, *snapshot, wanted, record)
        seconds = time.perf_counter() - began
        requests = list(state.requests)
        created = sum(1 for r in requests if r.startswith("POST"))
        kinds = Counter(r.split(" ", 1)[0] for r in requests)
        print(
            f"GitLab: {len(requests)} requests ({dict(kinds)}) for {created} objects created: "
            f"{len(requests) / created:.3f} requests per object; "
            f"{seconds:.1f} s, {1000 * seconds / created:.2f} ms per object"
        )
        before = len(state.requests)
        restore_into(writer, *snapshot, wanted, _record(dict(record.result)))
        again = state.requests[before:]
        posts = [r for r in again if r.startswith("POST")]
        print(f"  a rerun: {len(again)} requests, {len(posts)} creations")
        return not posts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--pulls", type=int, default=300)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--releases", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-platform-restore-") as scratch:
        folder = Path(scratch)
        snapshot = _snapshot(folder, args)
        ok = all(
            [
                _run(folder, snapshot, gitea=False),
                _run(folder, snapshot, gitea=True),
                _run_gitlab(folder, snapshot),
            ]
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
