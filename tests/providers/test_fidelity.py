"""The exports against the platforms' answers as they really are (issue 13 §1): GitLab's
approvals are one object, Gitea lists that send no `Link` header, Gitea's inline review
comments, and a 404 on one item's sub-list. The shapes are in `recorded/` with their source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from repovault.providers.base import Access
from repovault.providers.dialects import GITHUB, GITLAB
from repovault.providers.documents import Shape, is_gap
from repovault.providers.gitea import GiteaDriver
from repovault.providers.gitlab import GitLabDriver
from repovault.providers.http import PlatformClient
from repovault.providers.metadata import (
    COMMENTS,
    ISSUES,
    LABELS_MILESTONES,
    PULL_REQUESTS,
    RELEASES,
    read_document,
)
from repovault.providers.pages import Export, PageCache
from repovault.providers.paging import Paging, conditional_pages
from tests.providers.fake_github import recorded
from tests.providers.fake_platforms import Platforms

FORGE = "https://forge.example.com"


def _conversation(shape: Shape | None, documents: dict[str, Path], number: int) -> list[Any]:
    """What an item's detail shows: the entries of its threads (repositories/items.py)."""
    assert shape is not None
    entries = []
    for thread in shape.threads:
        if thread.document not in documents:
            continue
        for entry in read_document(documents[thread.document]):
            if not is_gap(entry) and thread.parent(entry) == number:
                entries += thread.entries(entry)
    return entries


def test_gitlab_approvals_are_one_object_per_merge_request(tmp_path: Path) -> None:
    approvals = recorded("gitlab_merge_request_approvals.json")["body"]
    fakes = Platforms()
    fakes.gitlab.groups["platform"] = []
    fakes.gitlab.projects["platform/api"] = {
        "merge_requests": [
            {"id": 91, "iid": 5, "title": "Approvals API", "state": "opened"},
            {"id": 92, "iid": 6, "title": "Nobody yet", "state": "opened"},
        ],
        "merge_requests/5/notes": [],
        "merge_requests/6/notes": [],
        "merge_requests/5/approvals": approvals,
        "merge_requests/6/approvals": dict(approvals, iid=6, approved_by=[], approvals_left=2),
    }
    driver = GitLabDriver(Access(3, "platform", None, None, "t"), fakes.client())
    ignore = {ISSUES, RELEASES, LABELS_MILESTONES}
    result = driver.export_metadata(
        "platform/api", tmp_path / "o", PageCache(tmp_path / "c"), ignore
    )
    assert result.warnings == []
    kept = list(read_document(result.documents["merge-request-approvals.json"]))
    assert [(a["merge_request_iid"], a["approvals_left"]) for a in kept] == [(5, 1), (6, 2)]
    assert result.counts["merge-request-approvals.json"] == 2
    (review,) = _conversation(GITLAB.pulls, result.documents, 5)
    assert (review.kind, review.author, review.state) == ("review", "root", "APPROVED")


def test_a_list_endpoint_that_answers_an_object_is_a_warning_not_silence(tmp_path: Path) -> None:
    fakes = Platforms()
    fakes.gitlab.groups["platform"] = []
    fakes.gitlab.projects["platform/api"] = {"labels": {"message": "unexpected"}}
    driver = GitLabDriver(Access(3, "platform", None, None, "t"), fakes.client())
    ignore = {ISSUES, PULL_REQUESTS, RELEASES}
    result = driver.export_metadata(
        "platform/api", tmp_path / "o", PageCache(tmp_path / "c"), ignore
    )
    assert "labels.json" not in result.documents
    assert any("labels not exported" in w and "expected a list" in w for w in result.warnings)


def _gitea_repo(fakes: Platforms, **endpoints: list[Any]) -> GiteaDriver:
    lists = recorded("gitea_lists.json")
    fakes.gitea.orgs["forge"] = []
    fakes.gitea.repos["forge/app"] = {
        "issues": [],
        "pulls": [],
        "releases": [],
        "labels": [dict(lists["label"], id=i, name=f"label-{i}") for i in range(1, 121)],
        "milestones": [dict(lists["milestone"], id=i, title=f"m{i}") for i in range(1, 76)],
        "issues/comments": [dict(lists["comment"], id=i) for i in range(1, 131)],
        **{name.replace("__", "/"): items for name, items in endpoints.items()},
    }
    return GiteaDriver(Access(5, "forge", FORGE, None, "t"), fakes.client())


def test_gitea_lists_without_a_link_header_are_read_to_the_end(tmp_path: Path) -> None:
    fakes = Platforms()
    reviews = recorded("gitea_pull_reviews.json")["body"]
    pulls = [{"id": 100, "number": 61, "title": "feature", "state": "open"}]
    driver = _gitea_repo(
        fakes,
        pulls=pulls,
        pulls__61__reviews=[dict(reviews[0], id=i, comments_count=0) for i in range(1, 56)],
    )
    result = driver.export_metadata("forge/app", tmp_path / "o", PageCache(tmp_path / "c"), set())
    assert result.counts["labels.json"] == 120
    assert result.counts["milestones.json"] == 75
    assert result.counts["issue-comments.json"] == 130
    assert result.counts["reviews.json"] == 55
    assert [m["title"] for m in read_document(result.documents["milestones.json"])][-1] == "m75"
    labels = [r for r in fakes.gitea.requests if r.url.path.endswith("/labels")]
    # 120 labels: pages of 50, 50 and 20 (the short page, and X-Total-Count, end it)
    assert [r.url.params.get("page", "1") for r in labels] == ["1", "2", "3"]


def _no_headers_api(items: list[int], size: int) -> tuple[PlatformClient, list[httpx.Request]]:
    """A list that pages but sends neither `Link` nor `X-Total-Count`."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = int(request.url.params.get("page", 1))
        return httpx.Response(200, json=items[(page - 1) * size : page * size])

    client = httpx.Client(transport=httpx.MockTransport(answer))
    api = PlatformClient(client, base_url=f"{FORGE}/api/v1", headers={}, platform="Gitea")
    return api, seen


def test_without_any_header_a_list_ends_at_its_first_short_page(tmp_path: Path) -> None:
    paging = Paging(size={"limit": 50}, page="page")
    for total, requests in ((120, 3), (100, 3), (49, 1), (0, 1)):
        api, seen = _no_headers_api(list(range(total)), 50)
        cache = PageCache(tmp_path / f"c{total}")
        got = list(conditional_pages(api, cache, "/repos/o/r/labels", {}, Export(), paging))
        assert got == list(range(total))
        assert len(seen) == requests


def test_a_link_header_without_next_is_the_end_even_for_a_full_page(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        last = f'<{FORGE}/api/v1/x?page=1>; rel="first"'
        return httpx.Response(200, json=list(range(50)), headers={"Link": last})

    client = httpx.Client(transport=httpx.MockTransport(answer))
    api = PlatformClient(client, base_url=f"{FORGE}/api/v1", headers={}, platform="Gitea")
    paging = Paging(size={"limit": 50}, page="page")
    got = list(conditional_pages(api, PageCache(tmp_path), "/x", {}, Export(), paging))
    assert len(got) == 50


def test_gitea_inline_review_comments_are_exported(tmp_path: Path) -> None:
    fakes = Platforms()
    reviews = recorded("gitea_pull_reviews.json")["body"]
    comments = recorded("gitea_pull_review_comments.json")["body"]
    driver = _gitea_repo(
        fakes,
        pulls=[{"id": 100, "number": 61, "title": "feature", "state": "open"}],
        pulls__61__reviews=reviews,
        pulls__61__reviews__7__comments=comments,
    )
    ignore = {ISSUES, RELEASES, LABELS_MILESTONES}
    result = driver.export_metadata("forge/app", tmp_path / "o", PageCache(tmp_path / "c"), ignore)
    assert result.warnings == []
    kept = list(read_document(result.documents["review-comments.json"]))
    assert [(c["pull_request"], c["id"], c["path"]) for c in kept] == [
        (61, 301, "src/main.go"),
        (61, 302, "src/main_test.go"),
    ]
    inline = [e for e in _conversation(GITHUB.pulls, result.documents, 61) if e.path]
    assert [(e.kind, e.path, e.body) for e in inline] == [
        ("reviewComment", "src/main.go", "this can be nil"),
        ("reviewComment", "src/main_test.go", "and this needs a test"),
    ]
    skipped = driver.export_metadata(
        "forge/app", tmp_path / "none", PageCache(tmp_path / "c2"), ignore | {COMMENTS}
    )
    assert "review-comments.json" not in skipped.documents


def test_a_404_on_one_items_sub_list_keeps_the_others_and_records_the_gap(
    tmp_path: Path,
) -> None:
    fakes = Platforms()
    reviews = recorded("gitea_pull_reviews.json")["body"]
    pulls = [
        {"id": 100 + n, "number": n, "title": f"pr {n}", "state": "open"} for n in (60, 61, 62)
    ]
    # Pull request 61's reviews answer 404 (it was deleted, or the token lost access to it
    # between the two requests); 60's and 62's are there.
    driver = _gitea_repo(
        fakes,
        pulls=pulls,
        pulls__60__reviews=[dict(reviews[0], id=1, comments_count=0)],
        pulls__62__reviews=[dict(reviews[0], id=3, comments_count=0)],
    )
    ignore = {ISSUES, RELEASES, LABELS_MILESTONES}
    result = driver.export_metadata("forge/app", tmp_path / "o", PageCache(tmp_path / "c"), ignore)
    kept = list(read_document(result.documents["reviews.json"]))
    assert [r["id"] for r in kept if not is_gap(r)] == [1, 3]
    (gap,) = [r for r in kept if is_gap(r)]
    assert gap["pull_request"] == 61
    assert "404" in gap["repovault:gap"]
    assert result.counts["reviews.json"] == 2  # the gap is not a review
    assert len(result.warnings) == 1
    assert "pull request reviews of 61" in result.warnings[0]
    assert "404" in result.warnings[0]
    assert _conversation(GITHUB.pulls, result.documents, 61) == []


def test_many_gaps_are_a_few_warnings_and_a_count(tmp_path: Path) -> None:
    """A platform that answers 404 for every item's list (an old server without the
    endpoint) leaves a gap record per item but does not flood the task log."""
    fakes = Platforms()
    pulls = [{"id": 100 + n, "number": n, "title": f"pr {n}", "state": "open"} for n in range(25)]
    driver = _gitea_repo(fakes, pulls=pulls)
    ignore = {ISSUES, RELEASES, LABELS_MILESTONES}
    result = driver.export_metadata("forge/app", tmp_path / "o", PageCache(tmp_path / "c"), ignore)
    gaps = [r for r in read_document(result.documents["reviews.json"]) if is_gap(r)]
    assert [g["pull_request"] for g in gaps] == list(range(25))
    assert result.counts["reviews.json"] == 0
    assert len(result.warnings) == 11
    assert result.warnings[-1] == "pull request reviews of 15 more not exported (404 or 410)"
