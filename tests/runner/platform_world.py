"""Issue 12 §3, restores into a platform: the source snapshot (git from a repository on
disk, metadata exported by the GitHub driver from the fake GitHub) and the item-by-item
comparison of what the write-capable fake holds after a restore, modulo ids and the author
line."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from repovault.backends.local import LocalBackend
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.github import GitHubDriver
from repovault.providers.pages import PageCache
from repovault.providers.writes import writer_for
from repovault.runner.restore_platform import Record, Wanted, restore_into
from tests.e2e.metadata import repo_data
from tests.providers.fake_github import FakeGitHub, milestone, repository
from tests.providers.fake_writable import WritablePlatform

TOKEN = "target-token"


ASSET = b"PK release archive \x00\x01\xff"
PULL_LABEL = "restored pull request"


def source_data() -> dict[str, list[Any]]:
    """The e2e repository's metadata, its issue #3 in milestone 1.0; pull request #4 (merged)
    from `fix-crash`, a branch deleted since, #5 (open) from `feature` into `main`, both
    branches of the snapshot; #4's review comment quotes its diff hunk."""
    data = repo_data()
    data["issues"][2]["milestone"] = milestone(1, "1.0")
    data["issues"][1]["state_reason"] = "not_planned"  # #2, closed
    merged, open_one = data["pulls"]
    merged["head"] = {"ref": "fix-crash", "sha": "1" * 40}
    merged["base"] = {"ref": "main", "sha": "2" * 40}
    merged["merged_by"] = {"login": "erin"}
    open_one["head"] = {"ref": "feature", "sha": "3" * 40}
    open_one["base"] = {"ref": "main", "sha": "2" * 40}
    open_one["draft"] = True
    data["pulls/comments"][0]["diff_hunk"] = "@@ -8,3 +8,4 @@\n def save(self):\n+    check()"
    return data


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def source_repository(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    subprocess.run(["git", "init", "--quiet", "-b", "main", str(work)], check=True)
    for name in ("one", "two"):
        (work / f"{name}.txt").write_text(name)
        git(work, "add", ".")
        git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", name)
    git(work, "checkout", "-q", "-b", "feature", "HEAD~1")
    (work / "three.txt").write_text("three")
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "three")
    git(work, "checkout", "-q", "main")
    git(work, "-c", "user.name=t", "-c", "user.email=t@e", "tag", "-a", "v1.0", "-m", "one")
    git(work, "update-ref", "refs/pull/4/head", "HEAD~1")  # platforms refuse these
    bare = tmp_path / "source.git"
    subprocess.run(["git", "clone", "--quiet", "--mirror", str(work), str(bare)], check=True)
    return bare


def make_snapshot(
    tmp_path: Path, data: dict[str, list[Any]] | None = None
) -> tuple[Vault, Manifest]:
    """A backup of acme/app: its git from disk, its metadata (`source_data()` unless `data`
    is given) from the fake GitHub."""
    source = FakeGitHub()
    source.orgs["acme"] = [repository(1, "acme/app")]
    source.repo_data["acme/app"] = data or source_data()
    source.asset_files["1"] = ASSET
    driver = GitHubDriver(Access(1, "acme", None, None, "t"), source.client())
    export = driver.export_metadata(
        "acme/app", tmp_path / "meta", PageCache(tmp_path / "pages"), set()
    )
    vault = Vault(LocalBackend(tmp_path / "store"), "r/")
    options = BackupOptions(metadata=dict(export.documents), counts=export.counts)
    made = backup(
        url=f"file://{source_repository(tmp_path)}",
        vault=vault,
        cache=tmp_path / "cache",
        options=options,
    )
    assert made.snapshot is not None
    return vault, made.snapshot


def record_of(previous: dict[str, Any] | None = None) -> tuple[Record, list[tuple[str, str]]]:
    lines: list[tuple[str, str]] = []
    result: dict[str, Any] = {}
    record = Record(
        result=result,
        previous=previous or {},
        log=lambda level, message: lines.append((level, message)),
        report=lambda _percent, _text: None,
        check=lambda: None,
        save=lambda: None,
    )
    return record, lines


def restore(
    platform: WritablePlatform,
    snapshot: tuple[Vault, Manifest],
    record: Record,
    **wanted: Any,
) -> None:
    driver = 5 if platform.platform.gitea else 1
    access = Access(driver, "acme", platform.api_url, None, TOKEN)
    with httpx.Client() as client:
        restore_into(
            writer_for(access, client),
            *snapshot,
            Wanted(name="app", description="restored", private=True, **wanted),
            record,
        )


def without_author(body: str | None) -> str:
    first, _, rest = (body or "").partition("\n\n")
    assert first.startswith("_Originally ")
    return rest


def source_thread(data: dict[str, list[Any]], number: int) -> list[str]:
    """The comments (then reviews and review comments) of `number`, in time order, as a
    restore quotes them (without the author line)."""
    entries = [
        (c["created_at"], c["body"])
        for c in data["issues/comments"]
        if c["issue_url"].endswith(f"/issues/{number}")
    ]
    for c in data["pulls/comments"]:
        if c["pull_request_url"].endswith(f"/pulls/{number}"):
            quoted = f"```diff\n{c['diff_hunk']}\n```\n\n{c['body']}"
            entries.append((c["created_at"], quoted))
    for r in data.get(f"pulls/{number}/reviews", []):
        entries.append((r["submitted_at"], r["body"]))
    return [body for _, body in sorted(entries)]


def compare_refs(platform: WritablePlatform, source_git: Path) -> None:
    target = platform.state["acme/app"]
    source_refs = dict(
        line.split(" ", 1)
        for line in git(source_git, "for-each-ref", "--format=%(refname) %(objectname)").split("\n")
    )
    wanted_refs = {
        r: o for r, o in source_refs.items() if r.startswith(("refs/heads/", "refs/tags/"))
    }
    assert target.refs() == wanted_refs
    assert target.head() == "main"


def compare_pulls(platform: WritablePlatform, restored: dict[int, Any]) -> None:
    target = platform.state["acme/app"]
    merged, open_one = source_data()["pulls"]
    # #5: a pull request again, open, its branches and labels as they were.
    assert sorted(target.pulls) == [5]
    pull = target.pulls[5]
    assert (pull["title"], pull["state"]) == (open_one["title"], "open")
    assert (pull["head"]["ref"], pull["base"]["ref"]) == ("feature", "main")
    assert without_author(pull["body"]) == open_one["body"]
    assert pull["draft"] is not platform.platform.gitea  # Gitea's API has no draft flag
    assert [label["name"] for label in restored[5]["labels"]] == ["ui"]
    # #4: merged from a branch deleted since: an issue labelled as a restored pull request.
    issue = restored[4]
    assert "pull_request" not in issue or not issue["pull_request"]
    assert (issue["title"], issue["state"]) == (merged["title"], "closed")
    assert [label["name"] for label in issue["labels"]] == ["bug", PULL_LABEL]
    first, _, rest = issue["body"].partition("\n\n")
    assert first == (
        "_Originally opened by @carol at 2024-01-04T10:00:00Z; "
        "merged by @erin at 2024-01-06T09:00:00Z_"
    )
    assert "`fix-crash` into `main`" in rest
    assert rest.endswith("\n\nFixes #1.")
    # Its conversation, its review comment (file and line quoted) and its review, in order.
    posted = [c["body"] for c in target.comments.get(4, [])]
    assert [without_author(body) for body in posted] == source_thread(source_data(), 4)
    assert posted[1].startswith("_Originally commented by @dave at 2024-01-05T15:00:00Z on ")
    assert "`src/app.py:10`" in posted[1].partition("\n")[0]
    assert posted[2].startswith("_Originally reviewed by @dave at 2024-01-05T16:00:00Z: approved_")


def compare(platform: WritablePlatform, source_git: Path) -> None:
    compare_refs(platform, source_git)
    target = platform.state["acme/app"]
    data = source_data()
    issues = {i["number"]: i for i in data["issues"] if "pull_request" not in i}
    restored = {i["number"]: i for i in target.issues}
    assert sorted(restored) == [1, 2, 3, 4, 5]
    for number, issue in issues.items():
        got = restored[number]
        assert got["title"] == issue["title"]
        assert got["state"] == issue["state"]
        if issue["state"] == "closed" and not platform.platform.gitea:  # Gitea: no reasons
            assert got["state_reason"] == issue["state_reason"]
        assert without_author(got["body"]) == issue["body"]
        assert (got["milestone"] or {}).get("title") == (issue["milestone"] or {}).get("title")
        assert [label["name"] for label in got["labels"]] == [
            label["name"] for label in issue["labels"]
        ]
        assert [without_author(c["body"]) for c in target.comments.get(number, [])] == (
            source_thread(data, number)
        )
    compare_pulls(platform, restored)
    assert [label["name"] for label in target.labels] == ["bug", "enhancement", "ui", PULL_LABEL]
    assert [m["title"] for m in target.milestones] == ["1.0"]
    (source_release,) = data["releases"]
    (release,) = target.releases
    assert (release["tag_name"], release["name"]) == ("v1.0", source_release["name"])
    assert (release["draft"], release["prerelease"]) == (False, False)
    assert without_author(release["body"]) == source_release["body"]
    assert [(a["name"], target.assets[a["id"]]) for a in release["assets"]] == [
        ("example.zip", ASSET)
    ]


def creations(platform: WritablePlatform) -> list[str]:
    """The creations the platform was asked for, in order (GraphQL closes issues)."""
    return [w for w in platform.platform.writes if w.startswith("POST") and w != "POST /graphql"]
