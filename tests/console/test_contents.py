"""A snapshot's issues and pull requests in the console, as a Viewer: the repository page
links to them, the list searches and filters (whole page, and htmx's part), one item shows
its conversation as plain text (markup escaped, never rendered), and what does not exist is
the error page with the API's code."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Api
from tests.e2e.metadata import Backed, github_with_metadata, run
from tests.providers.fake_github import FakeGitHub, comment

MARKUP = "<script>alert('x')</script> **not bold**"


def _backed(api: Api, github: FakeGitHub, tmp_path: Path) -> Backed:
    backed = github_with_metadata(api, github, tmp_path / "git")
    markup = comment(14, MARKUP)
    markup.update(
        user={"login": "eve"},
        created_at="2024-01-02T13:00:00Z",
        issue_url="https://api.github.com/repos/acme/app/issues/2",
    )
    github.repo_data["acme/app"]["issues/comments"].append(markup)
    run(api, backed)
    return backed


def _rows(html: str) -> list[str]:
    """The numbers the list links to, in order."""
    return re.findall(r"/(?:issues|pulls)/(\d+)\?snapshot=", html)


def test_a_viewer_reads_issues_and_conversations(
    api: Api, github: FakeGitHub, tmp_path: Path, make_user: Callable[..., str]
) -> None:
    backed = _backed(api, github, tmp_path)
    client = api.client
    client.cookies.set("repovault_session", make_user("Viewer"))
    base = f"/console/repositories/{backed.repo}"

    repository = client.get(base)
    assert repository.status_code == 200
    assert "3 issues, 2 pull requests" in repository.text

    listed = client.get(f"{base}/contents")
    assert listed.status_code == 200
    assert _rows(listed.text) == ["3", "2", "1"]
    assert "3 issues in snapshot" in listed.text

    part = client.get(f"{base}/contents", params={"q": "crash"}, headers={"HX-Request": "true"})
    assert part.text.lstrip().startswith('<div id="items">')
    assert "2 issues matching “crash”" in part.text
    assert _rows(part.text) == ["3", "1"]

    merged = client.get(f"{base}/contents", params={"kind": "pulls", "state": "merged"})
    assert _rows(merged.text) == ["4"]

    issue = client.get(f"{base}/issues/2")
    assert issue.status_code == 200
    assert "#2 Add dark mode" in issue.text
    assert "Body of issue 2: Add dark mode." in issue.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; **not bold**" in issue.text
    assert "<script>alert" not in issue.text
    assert "eve · 2024-01-02 13:00 UTC (comment)" in issue.text

    pull = client.get(f"{base}/pulls/4")
    assert "dave · 2024-01-05 16:00 UTC (review: APPROVED)" in pull.text
    assert "(review comment on src/app.py:10)" in pull.text


def test_what_does_not_exist_is_the_error_page(
    api: Api, github: FakeGitHub, tmp_path: Path
) -> None:
    backed = _backed(api, github, tmp_path)
    client = api.client
    client.cookies.set("repovault_session", api.token or "")
    base = f"/console/repositories/{backed.repo}"
    missing = client.get(f"{base}/issues/99")
    assert missing.status_code == 404
    assert "GT1010" in missing.text
    unknown = client.get(f"{base}/contents", params={"snapshot": "nope"})
    assert unknown.status_code == 404
    assert "GT1009" in unknown.text
    assert client.get(f"{base}/wikis/1").status_code == 404
