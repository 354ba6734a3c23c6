"""Issue 12 §3, GitLab in a platform restore: a GitLab-shaped snapshot made through the
normal backup of the fake GitLab (tests/providers/fake_platforms.py), the git data of
platform_world.py's repository (branches main and feature, tag v1.0)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from repovault.backends.local import LocalBackend
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.base import Access
from repovault.providers.gitlab import GitLabDriver
from repovault.providers.pages import PageCache
from tests.providers.fake_platforms import Platforms, gitlab_project
from tests.runner.platform_world import ASSET, source_repository

LINK = "https://gitlab.example.com/acme/app/-/releases/v1.0/downloads/app.zip"


def _user(name: str) -> dict[str, Any]:
    return {"id": len(name), "username": name, "name": name.title()}


def _note(note_id: int, body: str, at: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": note_id,
        "body": body,
        "author": _user("bob"),
        "created_at": at,
        "system": False,
        "type": None,
        **extra,
    }


def _item(iid: int, title: str, state: str, at: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": 1000 + iid,
        "iid": iid,
        "project_id": 7,
        "title": title,
        "description": f"The text of {title}.",
        "state": state,
        "author": _user("alice"),
        "created_at": at,
        "closed_at": None if state == "opened" else "2024-02-01T00:00:00Z",
        "labels": [],
        "milestone": None,
        **extra,
    }


MILESTONE = {
    "id": 11,
    "iid": 1,
    "project_id": 7,
    "title": "1.0",
    "description": "The first one",
    "state": "active",
    "due_date": "2024-06-01",
}


def gitlab_data() -> dict[str, Any]:
    """Issues #1 (open, bug, milestone 1.0), #2 (closed), #4 (#3 deleted); merge requests !1
    (merged, from `fix-crash`, a branch deleted since) and !2 (open draft, `feature` into
    `main`); notes (one written by GitLab itself), a note on a line, an approval; release
    v1.0 with a link to a file on the GitLab server."""
    mr1 = _item(1, "Fix the crash", "merged", "2024-01-04T10:00:00Z")
    mr1.update(
        source_branch="fix-crash",
        target_branch="main",
        source_project_id=7,
        target_project_id=7,
        merged_by=_user("erin"),
        merged_at="2024-01-06T09:00:00Z",
        labels=["bug"],
    )
    mr2 = _item(2, "Add a feature", "opened", "2024-01-07T10:00:00Z", draft=True)
    mr2.update(source_branch="feature", target_branch="main", source_project_id=7)
    mr2["target_project_id"] = 7
    diff = {"base_sha": "a", "new_path": "src/app.py", "new_line": 10, "old_path": "src/app.py"}
    return {
        "labels": [
            {"id": 1, "name": "bug", "color": "#d9534f", "description": "Something broken"},
            {"id": 2, "name": "docs", "color": "#428BCA", "description": None},
        ],
        "milestones": [MILESTONE],
        "issues": [
            _item(
                1,
                "It crashes",
                "opened",
                "2024-01-01T10:00:00Z",
                labels=["bug"],
                milestone=MILESTONE,
            ),
            _item(2, "Typo", "closed", "2024-01-02T10:00:00Z", labels=["docs"]),
            _item(4, "Slow start", "opened", "2024-01-03T10:00:00Z"),
        ],
        "merge_requests": [mr1, mr2],
        "issues/1/notes": [
            _note(101, "Seen it too.", "2024-01-01T11:00:00Z"),
            _note(102, "added ~1 label", "2024-01-01T11:01:00Z", system=True),
            _note(103, "Fixed by !1.", "2024-01-06T10:00:00Z"),
        ],
        "issues/2/notes": [],
        "issues/4/notes": [],
        "merge_requests/1/notes": [
            _note(201, "Looks right.", "2024-01-05T10:00:00Z"),
            _note(202, "Check first.", "2024-01-05T11:00:00Z", type="DiffNote", position=diff),
        ],
        "merge_requests/2/notes": [],
        "merge_requests/1/approvals": {
            "iid": 1,
            "approved_by": [{"user": _user("dave")}],
            "updated_at": "2024-01-05T12:00:00Z",
        },
        "merge_requests/2/approvals": {"iid": 2, "approved_by": []},
        "releases": [
            {
                "tag_name": "v1.0",
                "name": "One",
                "description": "The first release.",
                "created_at": "2024-01-08T10:00:00Z",
                "released_at": "2024-01-08T10:00:00Z",
                "author": _user("alice"),
                "assets": {"count": 1, "links": [{"id": 1, "name": "app.zip", "url": LINK}]},
            }
        ],
    }


def make_gitlab_snapshot(
    tmp_path: Path, data: dict[str, Any] | None = None
) -> tuple[Vault, Manifest]:
    """A backup of GitLab's acme/app: git from disk, metadata through the GitLab driver."""
    platforms = Platforms()
    platforms.gitlab.groups["acme"] = [gitlab_project(7, "acme/app")]
    platforms.gitlab.projects["acme/app"] = data or gitlab_data()
    platforms.gitlab.files["/acme/app/-/releases/v1.0/downloads/app.zip"] = ASSET
    access = Access(3, "acme", "https://gitlab.example.com/api/v4", None, "t")
    driver = GitLabDriver(access, platforms.client())
    export = driver.export_metadata(
        "acme/app", tmp_path / "meta", PageCache(tmp_path / "pages"), set()
    )
    assert not export.warnings, export.warnings
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
