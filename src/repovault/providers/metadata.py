"""Metadata export helpers: conditional page caching and streamed JSON documents.

Every page is fetched with `If-None-Match: <etag of last time>`; a 304 answer reuses the
page kept from last time (GitHub does not count 304s against the rate limit), so the
metadata of an unchanged repository costs near nothing. The cache lives in the worker's
cache folder beside the mirror: losing it only makes the next export download everything.

Documents are JSON arrays written item by item to files, one item per line, so memory stays
constant however many issues a repository has, both writing and reading them back
(`stream_items`); the items are counted as they are written (`Export.counts`, recorded in
the snapshot's manifest). The engine stores the files beside the bundle; `documents.py` and
`dialects.py` read them back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from repovault.providers.base import ProviderError, ProviderNotFound, ProviderShapeError
from repovault.providers.documents import GAP, is_gap
from repovault.providers.http import PlatformClient
from repovault.providers.pages import Export, PageCache
from repovault.providers.paging import Paging, conditional_document, conditional_pages

# A `since` listing is refreshed in full this often (to drop what the platform deleted); the
# window asked for overlaps the previous export, so clock skew loses nothing.
FULL_REFRESH_SECONDS = 7 * 86_400
SINCE_OVERLAP = timedelta(minutes=5)
GAP_WARNINGS = 10  # per gathered document; the rest are counted in one more line

# resourceKindsToIgnore values (conventions)
ISSUES, PULL_REQUESTS, WIKI, RELEASES, LABELS_MILESTONES, LFS, COMMENTS, PIPELINES = range(1, 9)


def write_document(folder: Path, name: str, items: Iterable[Any]) -> tuple[Path, int]:
    """Stream items into `folder/name` as one JSON array, one item per line; (the file,
    how many items it holds)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for written, item in enumerate(items):
            out.write(",\n" if written else "\n")
            out.write(json.dumps(item, ensure_ascii=False, sort_keys=True))
            count += 0 if is_gap(item) else 1  # a gap record is no item of the platform's
        out.write("\n]\n")
    return path, count


def read_document(path: Path) -> Iterator[Any]:
    """The items of a document `write_document` wrote, one at a time (one per line)."""
    with path.open("rb") as source:
        yield from stream_items(source)


def lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of a byte stream (without their newline); memory holds one line."""
    pending: list[bytes] = []
    for block in blocks:
        start = 0
        while (end := block.find(b"\n", start)) >= 0:
            pending.append(block[start:end])
            yield b"".join(pending)
            pending = []
            start = end + 1
        if start < len(block):
            pending.append(block[start:])
    if pending:
        yield b"".join(pending)


def stream_items(blocks: Iterable[bytes]) -> Iterator[Any]:
    """The items of a document as its bytes stream in (from a file, or decoded and
    decrypted from storage): one line at a time, so memory holds one item whatever the
    document's size. A document that is one JSON array on one line (written by hand) gives
    its items too."""
    for line in lines(blocks):
        text = line.strip().removesuffix(b",")
        if text in (b"[", b"]", b""):
            continue
        item = json.loads(text)
        if isinstance(item, list):
            yield from item
        else:
            yield item


def release_key(release: Any) -> str:
    """The folder of a release's asset documents (`release-assets/<key>/<file>`): GitHub and
    Gitea number releases, GitLab names them by their tag."""
    return re.sub(r"[^\w.+-]", "_", str(release.get("id") or release.get("tag_name") or ""))


def export_document(
    export: Export, folder: Path, name: str, items: Iterable[Any], what: str
) -> None:
    """Write one document; a missing endpoint (404), or one that answers something else
    than the list expected, is a warning, not a failure."""
    try:
        export.documents[name], export.counts[name] = write_document(folder, name, items)
    except (ProviderNotFound, ProviderShapeError) as exc:
        (folder / name).unlink(missing_ok=True)
        export.warnings.append(f"{what} not exported: {exc}")


@dataclass(frozen=True)
class Listing:
    """One document: every item of a list endpoint of the repository."""

    kind: int  # the resourceKindsToIgnore value that skips it
    name: str  # file name of the document
    what: str  # for warnings
    path: str  # below the repository's API path
    params: dict[str, Any] = field(default_factory=dict)
    keep: Callable[[Any], bool] | None = None
    # The list's "updated since" parameter (GitHub/Gitea `since`, GitLab `updated_after`):
    # the next export asks only for what changed and merges it into the previous document.
    since: str | None = None


@dataclass(frozen=True)
class PerItem:
    """One document gathered item by item of another (reviews of each pull request).

    A parent item whose list the platform answers 404 for (deleted meanwhile, or out of the
    token's reach) leaves a gap record in the document (`documents.GAP`) and a warning; the
    other items' lists are kept."""

    kinds: frozenset[int]
    name: str
    what: str
    parent: str  # the document whose items it walks
    path: str  # with {key} replaced by each parent item's key ({item[field]}: its fields)
    key: str
    label: str  # the field that names the parent item in each gathered item
    single: bool = False  # the endpoint answers one object per parent item, not a list
    label_from: str | None = None  # the parent's field that labels them (default: key)
    keep: Callable[[Any], bool] | None = None  # which parent items have a list to read


# For a release item: (file name, URL or API path, extra headers) of each asset file.
AssetLinks = Callable[[Any], Iterator[tuple[str, str, dict[str, str]]]]


def _merged(previous: Path, changed: Iterable[Any]) -> Iterator[Any]:
    """The previous document with the changed items replaced (by `id`) and new ones added
    at the end; memory holds the changes only."""
    updates = {item["id"]: item for item in changed}
    for item in read_document(previous):
        yield updates.pop(item["id"], item)
    yield from updates.values()


def export(
    api: PlatformClient,
    cache: PageCache,
    base: str,
    folder: Path,
    ignore: set[int],
    listings: list[Listing],
    per_item: list[PerItem],
    paging: Paging,
    assets: AssetLinks | None = None,
) -> Export:
    """Write every document of the tables that is not ignored."""
    result = Export()

    def pages(path: str, params: dict[str, Any]) -> Iterator[Any]:
        return conditional_pages(api, cache, base + path, params, result, paging)

    for listing in listings:
        if listing.kind in ignore:
            continue
        began = datetime.now(UTC)
        previous = cache.previous(listing.name, max_age=FULL_REFRESH_SECONDS)
        params = dict(listing.params)
        if listing.since and previous is not None:
            since = previous[0] - SINCE_OVERLAP
            params[listing.since] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        items = pages(listing.path, params)
        if listing.keep is not None:
            items = (item for item in items if listing.keep(item))
        if listing.since and previous is not None:
            items = _merged(previous[1], items)
            result.incremental += 1
        export_document(result, folder, listing.name, items, listing.what)
        if listing.since and listing.name in result.documents:
            cache.keep(listing.name, result.documents[listing.name], began)
    for gathered in per_item:
        parent = result.documents.get(gathered.parent)
        if parent is not None and gathered.kinds.isdisjoint(ignore):
            _export_gathered(api, cache, base, folder, gathered, parent, pages, result)
    releases = result.documents.get("releases.json")
    if assets is not None and releases is not None:
        _download_assets(api, cache, releases, assets, result)
    return result


def _download_assets(
    api: PlatformClient, cache: PageCache, releases: Path, assets: AssetLinks, result: Export
) -> None:
    """Each release's asset files, kept in the cache and stored as documents of their own."""
    for release in read_document(releases):
        for name, url, headers in assets(release):
            safe = re.sub(r"[^\w.+-]", "_", name).lstrip(".") or "asset"
            # GitHub and Gitea number releases; GitLab names them by their tag.
            document = f"release-assets/{release_key(release)}/{safe}"
            kept = cache.asset(url)
            try:
                if not kept.exists():
                    api.download(url, kept, headers)
            except ProviderError as exc:
                result.warnings.append(f"release asset {name!r} not exported: {exc}")
                continue
            result.documents[document] = kept


def _export_gathered(
    api: PlatformClient,
    cache: PageCache,
    base: str,
    folder: Path,
    gathered: PerItem,
    parent: Path,
    pages: Callable[[str, dict[str, Any]], Iterator[Any]],
    result: Export,
) -> None:
    """One document gathered from a parent document's items."""

    def fetch(path: str) -> Iterator[Any]:
        if gathered.single:
            return iter([conditional_document(api, cache, base + path, result)])
        return pages(path, {})

    items = _gather(parent, gathered, fetch, result.warnings.append)
    export_document(result, folder, gathered.name, items, gathered.what)


def _gather(
    parent: Path,
    gathered: PerItem,
    fetch: Callable[[str], Iterator[Any]],
    warn: Callable[[str], None],
) -> Iterator[Any]:
    gaps = 0
    for item in read_document(parent):
        if is_gap(item) or (gathered.keep is not None and not gathered.keep(item)):
            continue
        key = item[gathered.key]
        label = item[gathered.label_from] if gathered.label_from else key
        try:
            for child in fetch(gathered.path.format(key=key, item=item)):
                yield {gathered.label: label, **child}
        except ProviderNotFound as exc:
            gaps += 1
            if gaps <= GAP_WARNINGS:
                warn(f"{gathered.what} of {label} not exported: {exc}")
            yield {gathered.label: label, GAP: str(exc)}
    if gaps > GAP_WARNINGS:
        warn(f"{gathered.what} of {gaps - GAP_WARNINGS} more not exported (404 or 410)")
