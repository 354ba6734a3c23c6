"""The organization's credential reaches only the platform's API and git hosts, whatever the
URL a platform names (a release asset elsewhere) and wherever a redirect leads.

Each driver is driven through `httpx.MockTransport`. The API host answers a redirect to a
foreign host the way the platforms do for stored files (GitHub's release assets go to
`objects.githubusercontent.com`, a Gitea or GitLab on object storage redirects attachments to
a signed bucket URL); the foreign host records what reached it, and must see no
`Authorization`, `PRIVATE-TOKEN` or token in the query.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from repovault.providers.base import Access
from repovault.providers.pages import PageCache
from repovault.providers.registry import driver_for

FOREIGN = "https://files.elsewhere.example"
SECRET = "s3cr3t-token"
CREDENTIAL_HEADERS = ("authorization", "private-token")

# driver number, apiUrl, username, the API root requests go to, a git host that may see it
DRIVERS = {
    "github": (1, None, None, "https://api.github.com", "https://github.com"),
    "gitlab": (3, "https://gitlab.example.com", None, "https://gitlab.example.com/api/v4", None),
    "gitea": (5, "https://forge.example.com", None, "https://forge.example.com/api/v1", None),
    "bitbucket": (2, None, "alice", "https://api.bitbucket.org/2.0", "https://bitbucket.org"),
    "bitbucket-dc": (
        2,
        "https://bitbucket.example.com",
        None,
        "https://bitbucket.example.com/rest/api/1.0",
        None,
    ),
    "azure": (4, None, None, "https://dev.azure.com/acme/_apis", "https://acme.visualstudio.com"),
}


def carries_credential(request: httpx.Request) -> bool:
    if any(name in request.headers for name in CREDENTIAL_HEADERS):
        return True
    return SECRET in str(request.url) or SECRET.encode() in request.content


class Recorder:
    """The API host answers `routes` (path -> response maker); anything on FOREIGN answers
    200 with the file; every request is kept."""

    def __init__(self, routes: dict[str, Callable[[httpx.Request], httpx.Response]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url).startswith(FOREIGN):
            return httpx.Response(200, content=b"the file")
        answer = self.routes.get(request.url.raw_path.decode().split("?")[0])
        if answer is None:
            return httpx.Response(404, json={"message": "Not Found"})
        return answer(request)

    def client(self) -> httpx.Client:
        # The server's own client follows redirects (runtime.py): the drivers must not rely
        # on httpx to drop the credential on the way.
        return httpx.Client(transport=httpx.MockTransport(self.handler), follow_redirects=True)

    def foreign(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url).startswith(FOREIGN)]

    def own(self) -> list[httpx.Request]:
        return [r for r in self.requests if not str(r.url).startswith(FOREIGN)]


def _redirect(location: str, status: int = 302) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, headers={"Location": location})


def _driver(kind: str, recorder: Recorder) -> Any:
    number, api_url, username, _, _ = DRIVERS[kind]
    return driver_for(Access(number, "acme", api_url, username, SECRET), recorder.client())


@pytest.mark.parametrize("kind", sorted(DRIVERS))
def test_a_file_on_a_foreign_host_is_fetched_without_the_credential(
    kind: str, tmp_path: Path
) -> None:
    recorder = Recorder({})
    driver = _driver(kind, recorder)
    driver.api.download(f"{FOREIGN}/asset.bin?sig=abc", tmp_path / "asset")
    assert (tmp_path / "asset").read_bytes() == b"the file"
    assert len(recorder.foreign()) == 1
    assert not carries_credential(recorder.foreign()[0])


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("kind", sorted(DRIVERS))
def test_a_redirect_from_the_api_host_to_a_foreign_host_drops_the_credential(
    kind: str, status: int, tmp_path: Path
) -> None:
    root = DRIVERS[kind][3]
    path = httpx.URL(root).path.rstrip("/") + "/files/1"
    recorder = Recorder({path: _redirect(f"{FOREIGN}/bucket/1?X-Amz-Signature=x", status)})
    driver = _driver(kind, recorder)
    driver.api.download(f"{root}/files/1", tmp_path / "one")
    assert driver.api.get(f"{root}/files/1").content == b"the file"
    assert carries_credential(recorder.own()[0])  # the API host itself does get it
    assert len(recorder.foreign()) == 2
    assert not any(carries_credential(r) for r in recorder.foreign())


@pytest.mark.parametrize("kind", sorted(DRIVERS))
def test_the_platforms_own_hosts_keep_the_credential_across_redirects(
    kind: str, tmp_path: Path
) -> None:
    root, git_host = DRIVERS[kind][3], DRIVERS[kind][4]
    api_path = httpx.URL(root).path.rstrip("/")
    moved = f"{root}/moved"
    routes = {api_path + "/old": _redirect(moved), api_path + "/moved": _ok}
    recorder = Recorder(routes)
    driver = _driver(kind, recorder)
    driver.api.get(f"{root}/old")
    assert [carries_credential(r) for r in recorder.requests] == [True, True]
    if git_host is not None:  # the git host of a cloud platform is the platform's own
        recorder.routes["/acme/app.git/info/lfs/objects/1"] = _ok
        driver.api.get(f"{git_host}/acme/app.git/info/lfs/objects/1")
        assert carries_credential(recorder.requests[-1])


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={})


def test_a_downgrade_to_plain_http_on_the_same_host_drops_the_credential() -> None:
    recorder = Recorder({"/api/v1/x": _redirect("http://forge.example.com/api/v1/y")})
    recorder.routes["/api/v1/y"] = _ok
    _driver("gitea", recorder).api.get("/x")
    assert [carries_credential(r) for r in recorder.requests] == [True, False]


def test_a_redirect_loop_is_an_error_not_a_hang() -> None:
    recorder = Recorder({"/api/v1/x": _redirect("https://forge.example.com/api/v1/x")})
    with pytest.raises(Exception, match="redirect"):
        _driver("gitea", recorder).api.get("/x")


def test_bitbucket_app_password_is_not_sent_elsewhere_either(tmp_path: Path) -> None:
    pair = base64.b64encode(f"alice:{SECRET}".encode()).decode()
    recorder = Recorder({"/2.0/files/1": _redirect(f"{FOREIGN}/f")})
    driver = _driver("bitbucket", recorder)
    driver.api.download("/files/1", tmp_path / "f")
    assert recorder.requests[0].headers["authorization"] == f"Basic {pair}"
    assert "authorization" not in recorder.requests[1].headers


# Release assets, through the exports -------------------------------------------------------

# GitHub: `GET /repos/{owner}/{repo}/releases/assets/{asset_id}` with
# `Accept: application/octet-stream` answers 302 to a signed URL on
# objects.githubusercontent.com (GitHub REST docs, "Get a release asset").
GITHUB_RELEASE = {
    "id": 1,
    "tag_name": "v1",
    "name": "v1",
    "draft": False,
    "prerelease": False,
    "assets": [
        {
            "id": 7,
            "name": "app.zip",
            "state": "uploaded",
            "content_type": "application/zip",
            "size": 8,
            "browser_download_url": "https://github.com/acme/app/releases/download/v1/app.zip",
            "url": "https://api.github.com/repos/acme/app/releases/assets/7",
        }
    ],
}


def _list(items: list[Any]) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, json=items)


def test_github_release_asset_redirect_reaches_storage_without_the_token(
    tmp_path: Path,
) -> None:
    base = "/repos/acme/app"
    recorder = Recorder(
        {
            f"{base}/releases": _list([GITHUB_RELEASE]),
            f"{base}/releases/assets/7": _redirect(
                f"{FOREIGN}/github-production-release-asset/7?X-Amz-Signature=abc"
            ),
        }
    )
    driver = _driver("github", recorder)
    result = driver.export_metadata(
        "acme/app", tmp_path / "o", PageCache(tmp_path / "c"), {1, 2, 5, 7}
    )
    assert result.documents["release-assets/1/app.zip"].read_bytes() == b"the file"
    assert len(recorder.foreign()) == 1
    assert not carries_credential(recorder.foreign()[0])


# Gitea/Forgejo: a release attachment (swagger `Attachment`) is either a file Gitea keeps,
# served under `/attachments/{uuid}` (and redirected to the bucket with `SERVE_DIRECT`), or
# since Gitea 1.23 an external link (`"type": "external"`) whose `browser_download_url` is
# the foreign URL itself.
GITEA_RELEASE = {
    "id": 3,
    "tag_name": "v1",
    "name": "v1",
    "draft": False,
    "prerelease": False,
    "assets": [
        {
            "id": 11,
            "name": "stored.tar.gz",
            "size": 8,
            "download_count": 0,
            "created_at": "2024-01-01T00:00:00Z",
            "uuid": "0b3c6e7a-1111-2222-3333-444455556666",
            "browser_download_url": "https://forge.example.com/attachments/0b3c6e7a-1111-2222-3333-444455556666",
            "type": "attachment",
        },
        {
            "id": 12,
            "name": "external.bin",
            "size": 0,
            "download_count": 0,
            "created_at": "2024-01-01T00:00:00Z",
            "uuid": "0b3c6e7a-1111-2222-3333-777788889999",
            "browser_download_url": f"{FOREIGN}/downloads/external.bin",
            "type": "external",
        },
    ],
}


def test_gitea_external_and_redirected_assets_get_no_token(tmp_path: Path) -> None:
    recorder = Recorder(
        {
            "/api/v1/repos/acme/app/releases": _list([GITEA_RELEASE]),
            "/attachments/0b3c6e7a-1111-2222-3333-444455556666": _redirect(
                f"{FOREIGN}/bucket/stored?X-Amz-Signature=abc"
            ),
        }
    )
    driver = _driver("gitea", recorder)
    result = driver.export_metadata(
        "acme/app", tmp_path / "o", PageCache(tmp_path / "c"), {1, 2, 5, 7}
    )
    assert result.warnings == []
    assert result.documents["release-assets/3/stored.tar.gz"].read_bytes() == b"the file"
    assert result.documents["release-assets/3/external.bin"].read_bytes() == b"the file"
    assert len(recorder.foreign()) == 2
    assert not any(carries_credential(r) for r in recorder.foreign())
    attachment = next(r for r in recorder.own() if r.url.path.startswith("/attachments/"))
    assert carries_credential(attachment)  # a private repository's file needs it


def test_gitlab_release_link_redirected_to_object_storage_gets_no_token(tmp_path: Path) -> None:
    link = "https://gitlab.example.com/acme/app/-/releases/v1/downloads/app.bin"
    release = {
        "tag_name": "v1",
        "name": "v1",
        "assets": {
            "count": 1,
            "sources": [],
            "links": [
                {
                    "id": 1,
                    "name": "app.bin",
                    "url": link,
                    "direct_asset_url": link,
                    "link_type": "package",
                }
            ],
        },
    }
    recorder = Recorder(
        {
            "/api/v4/projects/acme%2Fapp/releases": _list([release]),
            "/acme/app/-/releases/v1/downloads/app.bin": _redirect(f"{FOREIGN}/lfs/app.bin"),
        }
    )
    driver = _driver("gitlab", recorder)
    result = driver.export_metadata(
        "acme/app", tmp_path / "o", PageCache(tmp_path / "c"), {1, 2, 5, 7}
    )
    assert result.documents["release-assets/v1/app.bin"].read_bytes() == b"the file"
    assert not any(carries_credential(r) for r in recorder.foreign())


def test_a_withheld_credential_is_logged_at_debug(tmp_path: Path) -> None:
    recorder = Recorder({})
    driver = _driver("gitea", recorder)
    with structlog.testing.capture_logs() as logs:
        driver.api.download(f"{FOREIGN}/asset.bin", tmp_path / "asset")
    (line,) = [entry for entry in logs if entry["event"] == "credential withheld"]
    assert line["log_level"] == "debug"
    assert line["host"] == "files.elsewhere.example"
    assert SECRET not in str(logs)
