"""How the platforms page their lists, each page fetched conditionally (`If-None-Match`
with the ETag of last time; a 304 reuses the page kept in the `PageCache`).

    link   the body is a list, the next page in the `Link` header (GitHub, GitLab, Gitea);
           Gitea sends none for some lists: those are asked by page number
    body   Bitbucket: the next page's URL in the body
    skip   Azure DevOps: `$top`/`$skip`
    start  Bitbucket Data Center: `nextPageStart` until `isLastPage`
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from repovault.providers.base import ProviderShapeError
from repovault.providers.http import NEXT_LINK, PlatformClient
from repovault.providers.pages import Export, PageCache


@dataclass(frozen=True)
class Paging:
    """How a platform pages its lists.

    link: the body is a list, the next page is in the `Link` header (GitHub, GitLab, Gitea);
    body: the items are under `items`, the next page's URL under `next` (Bitbucket);
    skip: the items are under `items`, pages are `$top`/`$skip` (Azure DevOps);
    start: the items are under `items`, the next page starts at `nextPageStart` until
    `isLastPage` (Bitbucket Data Center)."""

    style: str = "link"
    size: dict[str, Any] = field(default_factory=dict)
    # link style: the page-number parameter of lists that may send no `Link` header at all
    # (Gitea): their next page is asked by number (see `_next_numbered`).
    page: str | None = None
    items: str = "values"
    next: str = "next"


def _next_skip(url: str, count: int, size: dict[str, Any]) -> str | None:
    top = int(size.get("$top", 100))
    if count < top:
        return None
    parsed = httpx.URL(url)
    skip = int(parsed.params.get("$skip", 0)) + top
    return str(parsed.copy_with(params=dict(parsed.params, **{"$skip": str(skip)})))


def _next_start(url: str, document: Any) -> str | None:
    if not isinstance(document, dict) or document.get("isLastPage", True):
        return None
    start = document.get("nextPageStart")
    if not isinstance(start, int):
        return None
    parsed = httpx.URL(url)
    return str(parsed.copy_with(params=dict(parsed.params, start=str(start))))


@dataclass(frozen=True)
class Page:
    document: Any  # the JSON answered
    link: str | None  # its `Link` header
    total: int | None  # its `X-Total-Count` header (not kept for a 304's cached page)


def _fetch(api: PlatformClient, cache: PageCache, url: str, export: Export) -> Page:
    """One page (or object), conditionally."""
    cached = cache.get(url)
    headers = {"If-None-Match": cached[0]} if cached else {}
    response = api.get(url, headers=headers)
    export.requests += 1
    total = response.headers.get("x-total-count", "")
    if response.status_code == 304 and cached is not None:
        export.not_modified += 1
        body, link = cached[1], cached[2]
    else:
        body, link = response.content, response.headers.get("link")
        etag = response.headers.get("etag")
        if etag:
            cache.put(url, etag, body, link)
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ProviderShapeError(f"{api.platform}: {url} answered no JSON") from exc
    return Page(document, link, int(total) if total.isdigit() else None)


def conditional_document(api: PlatformClient, cache: PageCache, path: str, export: Export) -> Any:
    """An endpoint that answers one object (GitLab's approvals of a merge request)."""
    document = _fetch(api, cache, api.url(path), export).document
    if not isinstance(document, dict):
        raise ProviderShapeError(f"{api.platform}: expected one object from {path}")
    return document


def _next_numbered(url: str, page: Page, seen: int, paging: Paging) -> str | None:
    """The next page of a list that sent no `Link` header (Gitea's labels, milestones,
    comments and reviews), by page number: while `X-Total-Count` says more, or, without
    it, while the pages are full."""
    assert paging.page is not None
    count = len(page.document)
    if page.total is not None:
        more = count > 0 and seen < page.total
    else:
        more = count >= max((int(v) for v in paging.size.values()), default=1)
    if not more:
        return None
    parsed = httpx.URL(url)
    number = int(parsed.params.get(paging.page, "1") or 1) + 1
    return str(parsed.copy_with(params=parsed.params.set(paging.page, str(number))))


def _next_link(url: str, page: Page, seen: int, paging: Paging, platform: str) -> str | None:
    if not isinstance(page.document, list):
        raise ProviderShapeError(f"{platform}: expected a list from {url}")
    found = NEXT_LINK.search(page.link or "")
    if found:
        return found.group(1)
    if page.link is None and paging.page is not None:
        return _next_numbered(url, page, seen, paging)
    return None


def conditional_pages(
    api: PlatformClient,
    cache: PageCache,
    path: str,
    params: dict[str, Any],
    export: Export,
    paging: Paging | None = None,
) -> Iterator[Any]:
    """Every item of a paged list, each page fetched conditionally."""
    paging = paging or Paging()
    url: str | None = str(httpx.URL(api.url(path), params={**paging.size, **params}))
    seen = 0
    while url is not None:
        page = _fetch(api, cache, url, export)
        document = page.document
        if paging.style == "link":
            items = document if isinstance(document, list) else []
            seen += len(items)
            url = _next_link(url, page, seen, paging, api.platform)
        else:
            items = document.get(paging.items, []) if isinstance(document, dict) else []
            if paging.style == "body":
                following = document.get(paging.next) if isinstance(document, dict) else None
                url = following if isinstance(following, str) and following else None
            elif paging.style == "start":
                url = _next_start(url, document)
            else:
                url = _next_skip(url, len(items), paging.size)
        yield from items
