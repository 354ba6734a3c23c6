"""An export from the console (issue 12 §2): the repository page's form queues it, the
task's page offers the archive once it succeeded, and the download follows a fresh signed
link to the archive itself."""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Api
from tests.e2e.flow import wait_tasks
from tests.e2e.metadata import github_with_metadata, run
from tests.providers.fake_github import FakeGitHub


def test_export_from_the_repository_page_and_download_it(
    api: Api, github: FakeGitHub, tmp_path: Path, make_user: Callable[..., str]
) -> None:
    backed = github_with_metadata(api, github, tmp_path / "git")
    snapshot = run(api, backed)
    client = api.client
    client.cookies.set("repovault_session", make_user("GitManagement"))
    page = client.get(f"/console/repositories/{backed.repo}")
    assert "Export as an archive" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    queued = client.post(
        f"/console/repositories/{backed.repo}/export",
        data={"csrf": csrf.group(1), "snapshot": snapshot},
        follow_redirects=False,
    )
    assert queued.status_code == 303
    task_id = queued.headers["location"].split("/tasks/")[1].split("?")[0]
    wait_tasks(api, [task_id])
    task_page = client.get(f"/console/tasks/{task_id}")
    assert f"/console/tasks/{task_id}/download" in task_page.text
    link = client.get(f"/console/tasks/{task_id}/download", follow_redirects=False)
    assert link.status_code == 303
    assert link.headers["location"].startswith("/git/repositories/download?")
    archive = client.get(link.headers["location"])
    assert archive.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(archive.content), mode="r:gz") as tar:
        assert any(n.endswith("/metadata/issues.json") for n in tar.getnames())


def test_an_organizations_archive_downloads_from_its_task_page(
    api: Api, github: FakeGitHub, tmp_path: Path, make_user: Callable[..., str]
) -> None:
    backed = github_with_metadata(api, github, tmp_path / "git")
    run(api, backed)
    task_id = api.ok("/git/organizations/export", {"id": backed.org})["taskId"]
    wait_tasks(api, [task_id])
    client = api.client
    client.cookies.set("repovault_session", make_user("GitManagement"))
    task_page = client.get(f"/console/tasks/{task_id}")
    assert f"/console/tasks/{task_id}/download" in task_page.text
    link = client.get(f"/console/tasks/{task_id}/download", follow_redirects=False)
    assert link.status_code == 303
    archive = client.get(link.headers["location"])
    assert archive.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(archive.content), mode="r:gz") as tar:
        assert any(n.endswith("/acme_app/metadata/issues.json") for n in tar.getnames())
        assert any(n.endswith("/index.json") for n in tar.getnames())
