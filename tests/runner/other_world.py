"""Issue 12 §3, Bitbucket Cloud and Azure DevOps as restore sources: snapshots made through
the normal backup of their fakes (tests/providers/fake_platforms.py), the git data of
platform_world.py's repository (branches main and feature, tag v1.0)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from repovault.backends.local import LocalBackend
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.manifest import Manifest
from repovault.engine.vault import Vault
from repovault.providers.azure import AzureDevOpsDriver
from repovault.providers.base import Access
from repovault.providers.bitbucket import BitbucketDriver
from repovault.providers.pages import PageCache
from tests.providers.fake_platforms import Platforms
from tests.runner.platform_world import source_repository


def _person(name: str) -> dict[str, Any]:
    return {"type": "user", "display_name": name.title(), "nickname": name, "uuid": f"{{{name}}}"}


def _bb_issue(number: int, title: str, state: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "issue",
        "id": number,
        "title": title,
        "content": {"raw": f"The text of {title}.", "markup": "markdown"},
        "state": state,
        "kind": "bug",
        "priority": "major",
        "reporter": _person("alice"),
        "created_on": f"2024-01-0{number}T10:00:00+00:00",
        "updated_on": "2024-02-01T00:00:00+00:00",
        "component": None,
        "milestone": None,
        **extra,
    }


def _bb_comment(number: int, text: str, user: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "pullrequest_comment",
        "id": number,
        "content": {"raw": text, "markup": "markdown"},
        "user": _person(user),
        "created_on": f"2024-01-05T10:{number % 60:02d}:00+00:00",
        "deleted": False,
        **extra,
    }


def _bb_pull(number: int, title: str, state: str, branch: str) -> dict[str, Any]:
    return {
        "type": "pullrequest",
        "id": number,
        "title": title,
        "description": f"The text of {title}.",
        "state": state,
        "author": _person("erin"),
        "source": {"branch": {"name": branch}},
        "destination": {"branch": {"name": "main"}},
        "created_on": "2024-01-04T10:00:00+00:00",
        "updated_on": "2024-01-06T09:00:00+00:00",
        "closed_by": _person("erin") if state != "OPEN" else None,
    }


def bitbucket_data() -> dict[str, list[Any]]:
    """Issues #1 (new: bug, major, ui; milestone 1.0), #2 (resolved: task, minor), #4 (#3
    deleted); pull requests #1 (merged from `fix-crash`, a branch deleted since) with a
    comment, an inline one and a deleted one, #2 (open, `feature` into `main`)."""
    return {
        "issues": [
            _bb_issue(1, "It crashes", "new", component={"name": "ui"}, milestone={"name": "1.0"}),
            _bb_issue(2, "Typo", "resolved", kind="task", priority="minor"),
            _bb_issue(4, "Slow start", "open"),
        ],
        "issues/1/comments": [
            _bb_comment(11, "Seen it too.", "bob", type="issue_comment"),
            _bb_comment(12, "Fixed by #1.", "alice", type="issue_comment"),
        ],
        "issues/2/comments": [],
        "issues/4/comments": [],
        "pullrequests": [
            _bb_pull(1, "Fix the crash", "MERGED", "fix-crash"),
            _bb_pull(2, "Add a feature", "OPEN", "feature"),
        ],
        "pullrequests/1/comments": [
            _bb_comment(21, "Looks right.", "bob"),
            _bb_comment(22, "Check first.", "dave", inline={"path": "src/app.py", "to": 10}),
            _bb_comment(23, "", "bob", deleted=True),
        ],
        "pullrequests/2/comments": [],
    }


UI = {"id": "u1", "name": "ui", "active": True}


def _az_person(name: str) -> dict[str, Any]:
    return {"displayName": name.title(), "uniqueName": f"{name}@fabrikam.com", "id": name}


def _az_pull(number: int, title: str, status: str, branch: str, **extra: Any) -> dict[str, Any]:
    return {
        "pullRequestId": number,
        "title": title,
        "description": f"The text of {title}.",
        "status": status,
        "createdBy": _az_person("erin"),
        "creationDate": "2024-01-04T10:00:00Z",
        "closedDate": None if status == "active" else "2024-01-06T09:00:00Z",
        "sourceRefName": f"refs/heads/{branch}",
        "targetRefName": "refs/heads/main",
        "isDraft": False,
        **extra,
    }


def _az_comment(number: int, text: str, user: str, kind: str = "text") -> dict[str, Any]:
    return {
        "id": number,
        "content": text,
        "author": _az_person(user),
        "publishedDate": f"2024-01-05T10:0{number}:00Z",
        "commentType": kind,
    }


def azure_data() -> dict[str, list[Any]]:
    """Pull requests !40 (completed from `fix-crash`, deleted since) with a thread (and a
    system comment) and a thread on a line, !42 (active draft, `feature` into `main`,
    tagged), listed newest first as Azure DevOps does."""
    context = {"filePath": "/src/app.py", "rightFileStart": {"line": 10, "offset": 1}}
    return {
        "pullrequests": [
            _az_pull(42, "Add a feature", "active", "feature", isDraft=True, labels=[UI]),
            _az_pull(40, "Fix the crash", "completed", "fix-crash", closedBy=_az_person("erin")),
        ],
        "pullRequests/40/threads": [
            {
                "id": 5,
                "threadContext": None,
                "comments": [
                    _az_comment(1, "Looks right.", "bob"),
                    _az_comment(2, "Erin voted 10", "erin", "system"),
                ],
            },
            {
                "id": 6,
                "threadContext": context,
                "comments": [_az_comment(3, "Check first.", "dave")],
            },
        ],
        "pullRequests/42/threads": [],
    }


def _snapshot(tmp_path: Path, documents: dict[str, Any], counts: Any) -> tuple[Vault, Manifest]:
    vault = Vault(LocalBackend(tmp_path / "store"), "r/")
    made = backup(
        url=f"file://{source_repository(tmp_path)}",
        vault=vault,
        cache=tmp_path / "cache",
        options=BackupOptions(metadata=documents, counts=counts),
    )
    assert made.snapshot is not None
    return vault, made.snapshot


def make_bitbucket_snapshot(tmp_path: Path) -> tuple[Vault, Manifest]:
    """A backup of Bitbucket Cloud's acme/app: git from disk, metadata through its driver."""
    platforms = Platforms()
    platforms.bitbucket.repos["acme/app"] = bitbucket_data()
    access = Access(2, "acme", None, "alice", "app-password")
    driver = BitbucketDriver(access, platforms.client())
    export = driver.export_metadata("acme/app", tmp_path / "meta", PageCache(tmp_path / "p"), set())
    assert not export.warnings, export.warnings
    return _snapshot(tmp_path, dict(export.documents), export.counts)


def make_azure_snapshot(tmp_path: Path) -> tuple[Vault, Manifest]:
    """A backup of an Azure DevOps repository (its id `r1`) through its driver."""
    platforms = Platforms()
    platforms.azure.repo_data["r1"] = azure_data()
    driver = AzureDevOpsDriver(Access(4, "fabrikam", None, None, "pat"), platforms.client())
    export = driver.export_metadata("r1", tmp_path / "meta", PageCache(tmp_path / "p"), set())
    assert not export.warnings, export.warnings
    return _snapshot(tmp_path, dict(export.documents), export.counts)
