"""A folder on a WebDAV server (Nextcloud, ownCloud, Apache mod_dav, rclone serve webdav, ...),
over httpx.

Writes are atomic: the object is streamed with one chunked PUT into `<path>/.partial/<random>`
and moved over its key with `MOVE` (`Overwrite: T`); partial files a killed writer left
there are removed by the next backend's first write once they are a day old. Folders are
made with `MKCOL` when the move says they are missing. Listing walks folders with
`PROPFIND` (`Depth: 1`), from the folder the prefix names. Reads stream the `GET`
response. The storage's folder is checked with the first call (`PROPFIND`, `Depth: 0`):
a refused login or a missing folder is a permanent error that says so; 5xx answers, 429
and dropped connections are temporary.
Folders a delete leaves empty stay (a WebDAV `DELETE` of a folder removes everything in it,
so repovault never sends one); they hold nothing and are never listed.
"""

from __future__ import annotations

import contextlib
import io
import time
import uuid
import weakref
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import quote, unquote, urlsplit

import httpx

from repovault.backends.base import CHUNK, ObjectInfo, Readable, StorageError, check_key

PARTIAL_DIR = ".partial"
STALE_PARTIAL_SECONDS = 24 * 3600
DAV = "{DAV:}"
PROPFIND_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
    b"<d:resourcetype/><d:getcontentlength/><d:getlastmodified/></d:prop></d:propfind>"
)
TEMPORARY = {408, 425, 429}


@dataclass(frozen=True)
class WebdavSettings:
    url: str
    path: str = ""
    username: str | None = None
    password: str | None = None


class _ResponseReader(io.RawIOBase):
    """A streamed response body as a raw file; closing it closes the response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.chunks = response.iter_bytes(CHUNK)
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self.pending:
            self.pending = next(self.chunks, b"")
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count

    def close(self) -> None:
        if not self.closed:
            self.response.close()
        super().close()


class WebdavBackend:
    def __init__(self, settings: WebdavSettings, *, transport: httpx.BaseTransport | None = None):
        parts = urlsplit(settings.url)
        folder = "/".join(quote(p, safe="") for p in settings.path.split("/") if p)
        base_path = parts.path.rstrip("/") + "/" + (folder + "/" if folder else "")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = base_path  # quoted, with a trailing slash
        self.where = f"WebDAV {self.origin}{unquote(base_path)}"
        auth = (settings.username, settings.password or "") if settings.username else None
        self.client = httpx.Client(
            auth=auth,
            timeout=httpx.Timeout(60.0, connect=20.0),
            follow_redirects=False,
            transport=transport,
        )
        self.username = settings.username
        weakref.finalize(self, self.client.close)
        self._checked = False
        self._partials_ready = False

    # -- requests

    def _url(self, key: str = "", folder: bool = False) -> str:
        quoted = "/".join(quote(p, safe="") for p in key.split("/") if p)
        return self.origin + self.base_path + quoted + ("/" if folder and quoted else "")

    def _send(self, method: str, url: str, what: str, **kwargs: object) -> httpx.Response:
        try:
            return self.client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise StorageError(f"{self.where}: {what}: {exc!r}") from exc

    def _refusal(self, response: httpx.Response, what: str) -> Exception:
        code = response.status_code
        if code == 401:
            who = repr(self.username) if self.username else "anonymous"
            return StorageError(
                f"{self.where}: {what}: the server refused the credentials of {who} (HTTP 401)",
                permanent=True,
            )
        if code == 403:
            return StorageError(
                f"{self.where}: {what}: forbidden (HTTP 403): may the user write there?",
                permanent=True,
            )
        if code == 404:
            return FileNotFoundError(what)
        return StorageError(
            f"{self.where}: {what}: HTTP {code} {response.reason_phrase}",
            permanent=code < 500 and code not in TEMPORARY,
        )

    def _ensure_root(self) -> None:
        if self._checked:
            return
        response = self._propfind(self._url(), "0", "open the storage")
        if response.status_code == 404:
            raise StorageError(
                f"{self.where}: the folder does not exist on the server", permanent=True
            )
        if response.status_code != 207:
            raise self._refusal(response, "open the storage")
        self._checked = True

    def _propfind(self, url: str, depth: str, what: str) -> httpx.Response:
        headers = {"Depth": depth, "Content-Type": "application/xml"}
        return self._send("PROPFIND", url, what, headers=headers, content=PROPFIND_BODY)

    def _mkcol(self, key: str, what: str) -> None:
        """Make the folder `key` and those above it that are missing."""
        parts = key.split("/")
        for depth in range(1, len(parts) + 1):
            response = self._send("MKCOL", self._url("/".join(parts[:depth]), True), what)
            # 405: it exists already; 409: a folder above is missing (made on the next turn)
            if response.status_code not in (200, 201, 204, 405, 409):
                raise self._refusal(response, what)

    # -- the Backend protocol

    def put(self, key: str, source: Readable) -> int:
        check_key(key)
        what = f"cannot write {key}"
        self._ensure_root()
        tmp = f"{PARTIAL_DIR}/{uuid.uuid4().hex}"
        written = 0

        def body() -> Iterator[bytes]:
            nonlocal written
            while chunk := source.read(CHUNK):
                written += len(chunk)
                yield chunk

        self._prepare_partials(what)
        try:
            response = self._send("PUT", self._url(tmp), what, content=body())
            if response.status_code not in (200, 201, 204):
                raise self._refusal(response, what)
            self._move(tmp, key, what)
        except BaseException:
            with contextlib.suppress(StorageError):
                self._send("DELETE", self._url(tmp), what)
            raise
        return written

    def _prepare_partials(self, what: str) -> None:
        """Make `.partial/` once, and remove what killed writers left there a day ago."""
        if self._partials_ready:
            return
        self._mkcol(PARTIAL_DIR, what)
        response = self._propfind(self._url(PARTIAL_DIR, True), "1", what)
        if response.status_code != 207:
            raise self._refusal(response, what)
        limit = (time.time() - STALE_PARTIAL_SECONDS) * 1000
        for key, is_folder, info in self._entries(response.content, what):
            if key.startswith(PARTIAL_DIR + "/") and not is_folder and info.modified_ms < limit:
                self._send("DELETE", self._url(key), what)
        self._partials_ready = True

    def _move(self, tmp: str, key: str, what: str) -> None:
        headers = {"Destination": self._url(key), "Overwrite": "T"}
        response = self._send("MOVE", self._url(tmp), what, headers=headers)
        # the object's folder is missing: 409 (RFC 4918), 403 from some servers
        if response.status_code in (403, 409) and "/" in key:
            self._mkcol(key.rsplit("/", 1)[0], what)
            response = self._send("MOVE", self._url(tmp), what, headers=headers)
        if response.status_code not in (200, 201, 204):
            raise self._refusal(response, what)

    def get(self, key: str) -> BinaryIO:
        check_key(key)
        self._ensure_root()
        request = self.client.build_request(
            "GET", self._url(key), headers={"Accept-Encoding": "identity"}
        )
        try:
            response = self.client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise StorageError(f"{self.where}: cannot read {key}: {exc!r}") from exc
        if response.status_code != 200:
            response.close()
            raise self._refusal(response, f"cannot read {key}")
        return io.BufferedReader(_ResponseReader(response), CHUNK)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        self._ensure_root()
        start = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        yield from self._walk(start, prefix)

    def _walk(self, folder: str, prefix: str) -> Iterator[ObjectInfo]:
        what = f"cannot list {prefix}"
        response = self._propfind(self._url(folder, True), "1", what)
        if response.status_code == 404:
            return
        if response.status_code != 207:
            raise self._refusal(response, what)
        entries = sorted(self._entries(response.content, what), key=lambda e: e[0])
        for key, is_folder, info in entries:
            if key == folder or not key:
                continue
            if is_folder:
                if key != PARTIAL_DIR and (key.startswith(prefix) or prefix.startswith(key + "/")):
                    yield from self._walk(key, prefix)
            elif key.startswith(prefix):
                yield info

    def _entries(self, body: bytes, what: str) -> Iterator[tuple[str, bool, ObjectInfo]]:
        try:
            # The standard library's expat parser loads no external entity and refuses
            # entity expansion bombs; the answer comes from the storage's own server.
            root = ET.fromstring(body)  # noqa: S314
        except ET.ParseError as exc:
            raise StorageError(f"{self.where}: {what}: not a WebDAV answer: {exc}") from exc
        for item in root.iter(f"{DAV}response"):
            href = unquote(urlsplit(item.findtext(f"{DAV}href", "")).path)
            base = unquote(self.base_path)
            if not href.startswith(base) and href + "/" != base:
                continue
            key = href[len(base) :].strip("/")
            prop = item.find(f"{DAV}propstat/{DAV}prop")
            if prop is None:
                continue
            is_folder = prop.find(f"{DAV}resourcetype/{DAV}collection") is not None
            yield key, is_folder, self._info(key, prop)

    @staticmethod
    def _info(key: str, prop: ET.Element) -> ObjectInfo:
        size = int(prop.findtext(f"{DAV}getcontentlength") or 0)
        modified = prop.findtext(f"{DAV}getlastmodified")
        try:
            ms = int(parsedate_to_datetime(modified).timestamp() * 1000) if modified else 0
        except (TypeError, ValueError):
            ms = 0
        return ObjectInfo(key, size, ms)

    def delete(self, key: str) -> None:
        check_key(key)
        self._ensure_root()
        what = f"cannot delete {key}"
        response = self._send("DELETE", self._url(key), what)
        if response.status_code not in (200, 204, 404):
            raise self._refusal(response, what)

    def stat(self, key: str) -> ObjectInfo:
        check_key(key)
        self._ensure_root()
        what = f"cannot stat {key}"
        response = self._propfind(self._url(key), "0", what)
        if response.status_code != 207:
            raise self._refusal(response, key)
        for found, is_folder, info in self._entries(response.content, what):
            if found == key and not is_folder:
                return info
        raise FileNotFoundError(key)

    def close(self) -> None:
        self.client.close()
