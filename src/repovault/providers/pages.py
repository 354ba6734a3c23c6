"""What a metadata export keeps between runs (`PageCache`: each page's ETag and body, release
assets, the last full document of a `since` listing) and what it reports (`Export`)."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Export:
    documents: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # items of each JSON document
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    not_modified: int = 0
    incremental: int = 0  # documents built from the previous one plus what changed since


class PageCache:
    """ETags and bodies of the pages fetched last time, one file per URL."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, url: str) -> Path:
        return self.folder / hashlib.sha256(url.encode()).hexdigest()

    def get(self, url: str) -> tuple[str, bytes, str | None] | None:
        path = self._path(url)
        if not path.exists():
            return None
        etag, _, rest = path.read_bytes().partition(b"\n")
        link, _, body = rest.partition(b"\n")
        return etag.decode(), body, link.decode() or None

    def asset(self, url: str) -> Path:
        """Where a release asset is kept: an asset's content never changes under its URL."""
        folder = self.folder / "assets"
        folder.mkdir(exist_ok=True)
        return folder / hashlib.sha256(url.encode()).hexdigest()

    def put(self, url: str, etag: str, body: bytes, link: str | None) -> None:
        tmp = self._path(url).with_suffix(".tmp")
        tmp.write_bytes(etag.encode() + b"\n" + (link or "").encode() + b"\n" + body)
        tmp.replace(self._path(url))

    def previous(self, name: str, *, max_age: float) -> tuple[datetime, Path] | None:
        """The last full document of a `since` listing and when its export began, unless
        it is older than `max_age` seconds (then a full export refreshes it)."""
        path, stamp = self.folder / "since" / name, self.folder / "since" / f"{name}.time"
        if not path.exists() or not stamp.exists():
            return None
        began = datetime.fromisoformat(stamp.read_text().strip())
        if (datetime.now(UTC) - began).total_seconds() > max_age:
            return None
        return began, path

    def keep(self, name: str, document: Path, began: datetime) -> None:
        folder = self.folder / "since"
        folder.mkdir(exist_ok=True)
        shutil.copyfile(document, folder / f"{name}.tmp")
        (folder / f"{name}.tmp").replace(folder / name)
        (folder / f"{name}.time").write_text(began.isoformat())
