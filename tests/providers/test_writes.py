"""Issue 12 §3: the organization's token goes only to its platform's own host: a clone URL
the platform names elsewhere is refused before any push."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import httpx
import pytest

from repovault.providers.base import Access, ProviderError
from repovault.providers.gitea import GiteaDriver
from repovault.providers.github import GitHubDriver
from repovault.providers.http import PlatformClient
from repovault.providers.writes import (
    GitHubStyleWriter,
    graphql_url,
    writer_for,
)
from tests.providers.fake_writable import WritablePlatform

TOKEN = "target-token"


def _client(api: str) -> PlatformClient:
    """The platform client a writer of that API uses (GitHub's, or Gitea's for a Gitea)."""
    driver = 5 if "gitea" in api else 1
    access = Access(driver, "acme", api, None, TOKEN)
    if driver == 5:
        return GiteaDriver(access, httpx.Client()).api
    return GitHubDriver(access, httpx.Client()).api


@pytest.mark.parametrize(
    ("clone", "api"),
    [
        ("https://github.com/acme/app.git", "https://api.github.com"),
        ("https://ghe.example.com/acme/app.git", "https://ghe.example.com/api/v3"),
        ("https://gitea.example.com/acme/app.git", "https://gitea.example.com/api/v1"),
    ],
)
def test_the_platforms_own_host_is_trusted(clone: str, api: str) -> None:
    assert _client(api).require_trusted(clone, "clone URL") == clone


@pytest.mark.parametrize(
    ("clone", "api"),
    [
        ("https://evil.example.com/acme/app.git", "https://api.github.com"),
        ("https://github.com.evil.example/acme/app.git", "https://api.github.com"),
        ("https://github.com/acme/app.git", "https://ghe.example.com/api/v3"),
        ("http://gitea.example.com:8080/acme/app.git", "https://gitea.example.com/api/v1"),
    ],
)
def test_another_host_is_refused(clone: str, api: str) -> None:
    with pytest.raises(ProviderError, match="another host") as refused:
        _client(api).require_trusted(clone, "clone URL")
    assert refused.value.permanent


def test_a_created_repository_with_a_foreign_clone_url_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert json.loads(request.content) == {"name": "app", "description": "d", "private": True}
        clone = "https://elsewhere.example/acme/app.git"
        return httpx.Response(201, json={"full_name": "acme/app", "clone_url": clone})

    api = PlatformClient(
        httpx.Client(transport=httpx.MockTransport(answer)),
        base_url="https://api.github.com",
        headers={},
        platform="GitHub",
    )
    writer = GitHubStyleWriter(api, "acme", own_account=False, gitea=False, credentials=None)
    with pytest.raises(ProviderError, match=r"elsewhere\.example"):
        writer.create_repository("app", description="d", private=True)


def _pushed(folder: Path, url: str, user: str) -> None:
    """main with two commits, `topic` one commit ahead of main's first, `old` = main~1."""
    work = folder / "work"
    subprocess.run(["git", "init", "--quiet", "-b", "main", str(work)], check=True)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@e", *args],
            check=True,
            capture_output=True,
        )

    for name in ("one", "two"):
        (work / name).write_text(name)
        git("add", ".")
        git("commit", "-qm", name)
    git("branch", "old", "HEAD~1")
    git("checkout", "-q", "-b", "topic", "HEAD~1")
    (work / "three").write_text("three")
    git("add", ".")
    git("commit", "-qm", "three")
    pair = base64.b64encode(f"{user}:{TOKEN}".encode()).decode()
    git("-c", f"http.extraHeader=Authorization: Basic {pair}", "push", "-q", url, "--all")


@pytest.mark.parametrize("gitea", [False, True], ids=["github", "gitea"])
def test_a_pull_request_the_platform_refuses_is_none(tmp_path: Path, gitea: bool) -> None:
    with WritablePlatform(tmp_path, gitea=gitea, token=TOKEN) as platform, httpx.Client() as http:
        access = Access(5 if gitea else 1, "acme", platform.api_url, None, TOKEN)
        writer = writer_for(access, http)
        made = writer.create_repository("app", description="d", private=True)
        _pushed(tmp_path, made.clone_url, "git" if gitea else "x-access-token")
        body = {"title": "t", "body": "b", "base": "main"}
        no_commits = {**body, "head": "old"}  # old is behind main: nothing to pull
        assert (
            writer.create_pull("app", no_commits, labels=[], milestone=None, closed=False) is None
        )
        missing = {**body, "head": "gone"}
        assert writer.create_pull("app", missing, labels=[], milestone=None, closed=False) is None
        topic = {**body, "head": "topic"}
        first = writer.create_pull("app", topic, labels=[], milestone=None, closed=False)
        assert first is not None
        assert first["number"] == 1
        # An open pull request for the same branches already: refused (GitHub 422, Gitea 409)
        assert writer.create_pull("app", topic, labels=[], milestone=None, closed=False) is None
        writer.close_issue("app", 1, pull=True)
        again = writer.create_pull("app", topic, labels=[], milestone=None, closed=True)
        assert again is not None
        assert again["number"] == 2
        assert [(p["number"], p["state"]) for p in platform.state["acme/app"].pulls.values()] == [
            (1, "closed"),
            (2, "closed"),
        ]
        numbered = [(i["number"], bool(i.get("pull_request"))) for i in writer.numbered("app")]
        assert numbered == [(1, True), (2, True)]


def test_github_closes_issues_fifty_a_graphql_request(tmp_path: Path) -> None:
    """GitHub's REST API creates every issue open: a restore closes them in batches."""
    with WritablePlatform(tmp_path, gitea=False, token=TOKEN) as platform, httpx.Client() as http:
        writer = writer_for(Access(1, "acme", platform.api_url, None, TOKEN), http)
        writer.create_repository("app", description="d", private=True)
        made = [writer.create_issue("app", {"title": f"{n}"}, closed=True) for n in range(1, 121)]
        assert {issue["state"] for issue in platform.state["acme/app"].issues} == {"open"}
        writer.close_issues("app", made[:110])
        states = [issue["state"] for issue in platform.state["acme/app"].issues]
        assert states == ["closed"] * 110 + ["open"] * 10
        assert platform.platform.writes.count("POST /graphql") == 3  # 50 + 50 + 10
        with pytest.raises(ProviderError, match="Could not resolve to a node"):
            writer.close_issues("app", [{"number": 9, "node_id": "I_unknown"}])


def test_gitea_creates_issues_closed_in_one_request(tmp_path: Path) -> None:
    with WritablePlatform(tmp_path, gitea=True, token=TOKEN) as platform, httpx.Client() as http:
        writer = writer_for(Access(5, "acme", platform.api_url, None, TOKEN), http)
        writer.create_repository("app", description="d", private=True)
        writer.create_issue("app", {"title": "one"}, closed=True)
        writer.create_issue("app", {"title": "two"}, closed=False)
        states = [issue["state"] for issue in platform.state["acme/app"].issues]
        assert states == ["closed", "open"]
        assert [w for w in platform.platform.writes if "issues" in w] == [
            "POST /repos/acme/app/issues",
            "POST /repos/acme/app/issues",
        ]


def test_the_graphql_endpoint_is_beside_the_rest_api() -> None:
    assert graphql_url("https://api.github.com") == "https://api.github.com/graphql"
    assert graphql_url("https://ghe.example.com/api/v3") == "https://ghe.example.com/api/graphql"


@pytest.mark.parametrize(
    ("upload", "api", "trusted"),
    [
        ("https://uploads.github.com/repos/a/b/releases/1/assets", "https://api.github.com", True),
        (
            "https://ghe.example.com/api/uploads/repos/a/b/releases/1/assets",
            "https://ghe.example.com/api/v3",
            True,
        ),
        ("https://uploads.github.com.evil.example/x", "https://api.github.com", False),
        ("https://uploads.github.com/x", "https://ghe.example.com/api/v3", False),
    ],
)
def test_a_release_file_goes_only_to_the_platforms_upload_host(
    upload: str, api: str, trusted: bool
) -> None:
    if trusted:
        assert _client(api).require_trusted(upload, "upload URL") == upload
    else:
        with pytest.raises(ProviderError, match="upload URL on another host"):
            _client(api).require_trusted(upload, "upload URL")


def test_a_draft_github_refuses_becomes_a_ready_pull_request(tmp_path: Path) -> None:
    with WritablePlatform(tmp_path, gitea=False, token=TOKEN) as platform, httpx.Client() as http:
        platform.platform.drafts = False
        writer = writer_for(Access(1, "acme", platform.api_url, None, TOKEN), http)
        made = writer.create_repository("app", description="d", private=True)
        _pushed(tmp_path, made.clone_url, "x-access-token")
        body = {"title": "t", "body": "b", "base": "main", "head": "topic", "draft": True}
        pull = writer.create_pull("app", body, labels=[], milestone=None, closed=False)
        assert pull is not None
        assert platform.state["acme/app"].pulls[1]["draft"] is False
        posts = [w for w in platform.platform.writes if w.endswith("/pulls")]
        assert len(posts) == 2  # the draft refused, then the same without the flag
