"""A snapshot's issues, pull requests and releases: pages (searched, filtered, ordered) and
one item with its conversation. No HTTP here.

    contents.open_snapshot -> Opened.items(document), streamed
      -> summaries (providers/dialects.py: the platform's fields) -> search.Query: filters,
         search and order in one pass -> a page
      -> one item: its document read until it is found, then each document of its
         conversation once
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from repovault.common import codes
from repovault.common.errors import NotFound
from repovault.engine.manifest import Manifest
from repovault.providers import documents as docs
from repovault.providers.documents import Dialect, Shape, Summary
from repovault.providers.metadata import release_key
from repovault.repositories.contents import Opened, open_snapshot, stored_documents
from repovault.repositories.schemas import (
    ContentPage,
    EntryOut,
    ItemDetail,
    ItemOut,
    ItemsRequest,
    ReleaseDetail,
    ReleaseOut,
)
from repovault.repositories.search import Prop, Query, Test
from repovault.runtime import Runtime

ITEM_PROPS = {
    "number": Prop("int", lambda s: s.number),
    "title": Prop("str", lambda s: s.title),
    "state": Prop("str", lambda s: s.state),
    "author": Prop("str", lambda s: s.author),
    "label": Prop("list", lambda s: s.labels),
    "createdat": Prop("int", lambda s: s.created_at),
    "updatedat": Prop("int", lambda s: s.updated_at),
}
RELEASE_PROPS = {
    "tag": Prop("str", lambda r: r.tag),
    "name": Prop("str", lambda r: r.name),
    "author": Prop("str", lambda r: r.author),
    "createdat": Prop("int", lambda r: r.created_at),
}


# Issues and pull requests ------------------------------------------------------------------

Which = Callable[[Dialect], Shape | None]


def _search(text: str | None) -> Test | None:
    """The free-text search: an item's number (`12`, `#12`), or part of its title, its
    author's name or a label (case ignored)."""
    wanted = (text or "").strip().lower()
    if not wanted:
        return None
    digits = wanted.removeprefix("#")
    number = int(digits) if digits.isdigit() else None

    def matches(s: Summary) -> bool:
        if s.number == number or wanted in s.title.lower():
            return True
        return wanted in (s.author or "").lower() or any(wanted in lb.lower() for lb in s.labels)

    return matches


def _summaries(opened: Opened, shape: Shape | None) -> Iterator[Summary]:
    if shape is None:
        return
    for item in opened.items(shape.document):
        summary = shape.summary(item)
        if summary is not None:
            yield summary


def _shape(opened: Opened, which: Which) -> Shape | None:
    return which(opened.dialect) if opened.dialect is not None else None


def _items_page(
    runtime: Runtime, session: Session, *, request: ItemsRequest, which: Which
) -> ContentPage[ItemOut]:
    """A page of a snapshot's issues (or pull requests): newest first unless ordered."""
    query: Query[Summary] = Query(
        request,
        ITEM_PROPS,
        order="number",
        tiebreak=lambda s: s.number,
        search=_search(request.search),
    )
    opened = open_snapshot(
        runtime, session, repository_id=request.id, snapshot_id=request.snapshot_id
    )
    rows, total = query.select(_summaries(opened, _shape(opened, which)))
    return ContentPage[ItemOut](
        current_page=request.page,
        page_count=math.ceil(total / request.limit),
        total_entries=total,
        snapshot_id=opened.id,
        result=[ItemOut.model_validate(row) for row in rows],
    )


def _item(
    opened: Opened, shape: Shape | None, number: int, what: str
) -> tuple[Any, Summary, Shape]:
    """Item `number` as stored, its summary and shape (its document read until found)."""
    if shape is not None:
        for item in opened.items(shape.document):
            summary = shape.summary(item)
            if summary is not None and summary.number == number:
                return item, summary, shape
    raise NotFound(codes.ITEM_NOT_FOUND, f"snapshot {opened.id} holds no {what} {number}")


def _item_detail(
    runtime: Runtime,
    session: Session,
    *,
    repository_id: str,
    snapshot_id: str | None,
    number: int,
    which: Which,
    what: str,
) -> ItemDetail:
    """One issue (or pull request) with its comments, reviews and review comments."""
    opened = open_snapshot(runtime, session, repository_id=repository_id, snapshot_id=snapshot_id)
    item, summary, shape = _item(opened, _shape(opened, which), number, what)
    sections: dict[str, list[Any]] = {"comments": [], "reviews": [], "reviewComments": []}
    conversation: list[docs.Entry] = []
    for thread in shape.threads:
        for entry in opened.items(thread.document):
            # a gap record (a list the platform did not answer at backup) is no entry
            if thread.parent(entry) == number and not docs.is_gap(entry):
                sections[thread.section].append(entry)
                conversation += thread.entries(entry)
    conversation.sort(key=lambda e: (e.created_at is None, e.created_at or 0))
    return ItemDetail(
        snapshot_id=opened.id,
        summary=ItemOut.model_validate(summary),
        body=shape.body(item),
        item=item,
        comments=sections["comments"],
        reviews=sections["reviews"],
        review_comments=sections["reviewComments"],
        conversation=[EntryOut.model_validate(e) for e in conversation],
    )


def _issues(dialect: Dialect) -> Shape | None:
    return dialect.issues


def _pulls(dialect: Dialect) -> Shape | None:
    return dialect.pulls


def issues(runtime: Runtime, session: Session, *, request: ItemsRequest) -> ContentPage[ItemOut]:
    return _items_page(runtime, session, request=request, which=_issues)


def pull_requests(
    runtime: Runtime, session: Session, *, request: ItemsRequest
) -> ContentPage[ItemOut]:
    return _items_page(runtime, session, request=request, which=_pulls)


def issue(
    runtime: Runtime, session: Session, *, repository_id: str, snapshot_id: str | None, number: int
) -> ItemDetail:
    return _item_detail(
        runtime,
        session,
        repository_id=repository_id,
        snapshot_id=snapshot_id,
        number=number,
        which=_issues,
        what="issue",
    )


def pull_request(
    runtime: Runtime, session: Session, *, repository_id: str, snapshot_id: str | None, number: int
) -> ItemDetail:
    return _item_detail(
        runtime,
        session,
        repository_id=repository_id,
        snapshot_id=snapshot_id,
        number=number,
        which=_pulls,
        what="pull request",
    )


# Releases ----------------------------------------------------------------------------------


def _assets(manifest: Manifest) -> dict[str, list[str]]:
    """The asset files stored with each release, by the release's key."""
    found: dict[str, list[str]] = {}
    for name, _stored in stored_documents(manifest):
        asset = docs.asset_release(name)
        if asset is not None:
            found.setdefault(asset[0], []).append(asset[1])
    return found


def _release_out(summary: docs.ReleaseSummary, assets: dict[str, list[str]]) -> ReleaseOut:
    return ReleaseOut(
        tag=summary.tag,
        name=summary.name,
        author=summary.author,
        created_at=summary.created_at,
        draft=summary.draft,
        prerelease=summary.prerelease,
        assets=assets.get(summary.key, []),
    )


def _releases(opened: Opened) -> Iterator[tuple[Any, docs.ReleaseSummary]]:
    for item in opened.items(docs.RELEASES):
        summary = docs.release_summary(item, release_key(item)) if isinstance(item, dict) else None
        if summary is not None:
            yield item, summary


def _release_search(text: str | None) -> Test | None:
    wanted = (text or "").strip().lower()
    if not wanted:
        return None
    return lambda r: wanted in r.tag.lower() or wanted in (r.name or "").lower()


def releases_page(
    runtime: Runtime, session: Session, *, request: ItemsRequest
) -> ContentPage[ReleaseOut]:
    """A page of a snapshot's releases: newest first unless ordered."""
    query: Query[docs.ReleaseSummary] = Query(
        request,
        RELEASE_PROPS,
        order="createdat",
        tiebreak=lambda r: r.tag,
        search=_release_search(request.search),
    )
    opened = open_snapshot(
        runtime, session, repository_id=request.id, snapshot_id=request.snapshot_id
    )
    rows, total = query.select(summary for _item, summary in _releases(opened))
    assets = _assets(opened.manifest)
    return ContentPage[ReleaseOut](
        current_page=request.page,
        page_count=math.ceil(total / request.limit),
        total_entries=total,
        snapshot_id=opened.id,
        result=[_release_out(row, assets) for row in rows],
    )


def release_detail(
    runtime: Runtime, session: Session, *, repository_id: str, snapshot_id: str | None, tag: str
) -> ReleaseDetail:
    """One release as stored, with the names of its asset files."""
    opened = open_snapshot(runtime, session, repository_id=repository_id, snapshot_id=snapshot_id)
    for item, summary in _releases(opened):
        if summary.tag == tag:
            return ReleaseDetail(
                snapshot_id=opened.id,
                summary=_release_out(summary, _assets(opened.manifest)),
                body=docs.release_body(item),
                item=item,
            )
    raise NotFound(codes.ITEM_NOT_FOUND, f"snapshot {opened.id} holds no release {tag!r}")
