"""Storages and workers from the console (issue 14): a storage added (errors beside the
field), listed without its secret, removed only when confirmed; workers with their state,
last heartbeat and queued tasks."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from repovault.app import create_app
from repovault.runtime import Runtime
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), follow_redirects=False) as client:
        done = client.post(
            "/console/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert done.status_code == 303, done.text
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_add_and_remove_storages(client: TestClient, tmp_path: Path) -> None:
    page = client.get("/console/storages")
    assert page.status_code == 200
    assert "default</span>" in page.text
    csrf = _csrf(page.text)

    relative = client.post(
        "/console/storages", data={"csrf": csrf, "name": "near", "type": "1", "path": "rel/dir"}
    )
    assert relative.status_code == 400
    assert re.search(r'id="path-error">Not an absolute path', relative.text)
    assert "settings.path" not in relative.text
    s3 = client.post(
        "/console/storages",
        data={"csrf": csrf, "name": "far", "type": "2", "secretAccessKey": "hush-hush-key"},
    )
    assert s3.status_code == 400
    assert 'id="bucket-error">Required for an S3 storage' in s3.text
    assert "hush-hush-key" not in s3.text

    folder = tmp_path / "second"
    added = client.post(
        "/console/storages",
        data={"csrf": csrf, "name": "second", "type": "1", "path": str(folder)},
    )
    assert added.status_code == 303, added.text
    assert folder.is_dir()
    listing = client.get("/console/storages").text
    assert f"<code>{folder}</code>" in listing
    second = re.search(r'action="/console/storages/([0-9a-f-]{36})/remove"', listing)
    assert second is not None  # the default storage has no Remove
    tested = re.search(rf'action="(/console/storages/{second.group(1)}/test)"', listing)
    assert tested is not None
    works = client.post(tested.group(1), data={"csrf": csrf})
    assert (
        "The storage works: written, read back and deleted"
        in client.get(works.headers["location"]).text
    )
    assert not any(folder.rglob("*probe*/*"))
    shutil.rmtree(folder)
    folder.write_text("a file where the folder was")  # nothing can be written there now
    broken = client.post(tested.group(1), data={"csrf": csrf})
    shown = client.get(broken.headers["location"]).text
    assert re.search(r'role="alert"><ul><li>The storage does not work: ', shown)
    remove = re.search(r'action="/console/storages/([0-9a-f-]{36})/remove"', listing)
    assert remove is not None

    unsure = client.post(remove.group(0).split('"')[1], data={"csrf": csrf})
    assert "Nothing was removed" in client.get(unsure.headers["location"]).text
    assert "second" in client.get("/console/storages").text
    gone = client.post(remove.group(0).split('"')[1], data={"csrf": csrf, "confirm": "1"})
    assert gone.status_code == 303
    assert f"<code>{folder}</code>" not in client.get("/console/storages").text


def test_workers_show_state_heartbeat_and_queue(client: TestClient) -> None:
    page = client.get("/console/workers")
    assert page.status_code == 200
    row = re.search(
        r"<td>embedded</td>\s*<td class=\"ok\">online</td>\s*<td>([^<]+)</td>", page.text
    )
    assert row is not None, page.text
    assert "UTC" in row.group(1)
