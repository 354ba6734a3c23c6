"""The organization's credential reaches git only for the repository's own origin (issue 13
§1): git-lfs sends an unscoped `http.extraHeader` with every request, the storage URLs an LFS
server hands out (a signed bucket URL on another host) included. Scoped to the clone URL's
origin, the LFS API of the repository's own host still gets it; the storage host does not.

A real `git http-backend` serves the repository on 127.0.0.1 (bench/githttp.py), with the LFS
batch API (https://github.com/git-lfs/git-lfs/blob/main/docs/api/batch.md) answered on the
same origin; the objects are served by a second server named `localhost`, another host."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.githttp import GitHttpServer
from repovault.backends.local import LocalBackend
from repovault.engine import git as g
from repovault.engine.backup import backup
from repovault.engine.vault import Vault
from tests.engine.repos import commit

TOKEN = "glpat-lfs-token-that-must-stay-home"
OBJECT = b"a large file kept in LFS\n" * 40
OID = hashlib.sha256(OBJECT).hexdigest()


class Storage(BaseHTTPRequestHandler):
    """The bucket: serves the object to anyone (the URL is signed), records what it saw."""

    seen: list[str | None] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        self.send_response(200)
        self.send_header("Content-Length", str(len(OBJECT)))
        self.end_headers()
        self.wfile.write(OBJECT)


@pytest.fixture
def storage() -> Iterator[tuple[str, list[str | None]]]:
    seen: list[str | None] = []
    handler = type("Bucket", (Storage,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def _with_lfs_api(server: GitHttpServer, bucket: str, seen: list[str | None]) -> None:
    """The git server also answers the LFS batch API of its repositories."""
    base = server.httpd.RequestHandlerClass

    class WithLfs(base):  # type: ignore[valid-type,misc]
        def do_POST(self) -> None:
            if not self.path.endswith("/info/lfs/objects/batch"):
                base._cgi(self)
                return
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(self.headers.get("Authorization"))
            answer = {
                "transfer": "basic",
                "objects": [
                    {
                        "oid": OID,
                        "size": len(OBJECT),
                        "authenticated": True,
                        "actions": {
                            "download": {
                                "href": f"{bucket}/bucket/{OID}?X-Amz-Signature=abc",
                                "expires_in": 3600,
                            }
                        },
                    }
                ],
            }
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.git-lfs+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server.httpd.RequestHandlerClass = WithLfs


def _repository_with_an_lfs_pointer(root: Path) -> None:
    work = root / "work"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize {len(OBJECT)}\n"
    commit(
        work,
        "lfs",
        {
            ".gitattributes": b"*.bin filter=lfs diff=lfs merge=lfs -text\n",
            "big.bin": pointer.encode(),
        },
    )
    served = root / "served"
    served.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(served / "p.git")], check=True)


@pytest.mark.skipif(not g.lfs_available(), reason="git-lfs is not installed")
def test_lfs_storage_on_another_host_never_sees_the_token(
    tmp_path: Path, storage: tuple[str, list[str | None]]
) -> None:
    bucket, bucket_seen = storage
    _repository_with_an_lfs_pointer(tmp_path)
    api_seen: list[str | None] = []
    vault = Vault(LocalBackend(tmp_path / "store"), "p/")
    with GitHttpServer(tmp_path / "served", credentials=("bot", TOKEN)) as server:
        _with_lfs_api(server, bucket, api_seen)
        result = backup(
            url=server.url("p.git"),
            vault=vault,
            cache=tmp_path / "cache",
            credentials=g.Credentials("bot", TOKEN),
        )
        assert server.seen_authorizations  # the git host itself gets it
    assert result.snapshot is not None
    assert len(result.snapshot.content.lfs) == 1
    assert api_seen  # the LFS API on the repository's origin gets it too
    assert all(api_seen)
    assert bucket_seen == [None]  # the bucket elsewhere does not


def test_the_header_is_scoped_to_the_urls_origin() -> None:
    credentials = g.Credentials("bot", TOKEN).for_url("https://bot@git.example.com:8443/a/b.git")
    env = credentials.env()
    assert env["GIT_CONFIG_KEY_0"] == "http.https://git.example.com:8443/.extraHeader"
    assert env["GIT_CONFIG_VALUE_0"].startswith("Authorization: Basic ")
    local = g.Credentials("bot", TOKEN).for_url("file:///srv/git/a.git")
    assert local.env()["GIT_CONFIG_KEY_0"] == "http.extraHeader"  # no HTTP host to scope to
