"""Which credentials an organization's git transfers get on a worker (runner/transport.py):
its HTTP credentials, or its SSH key, with the accept-new pins in this worker's data folder."""

from __future__ import annotations

from pathlib import Path

from repovault.engine import git as g
from repovault.engine.ssh import SshKey
from repovault.providers.base import Access
from repovault.runner.transport import git_credentials


def _access(driver: int, ssh: SshKey | None) -> Access:
    return Access(driver, "acme", None, None, "token", ssh=ssh)


def test_without_a_key_the_drivers_http_credentials() -> None:
    http = g.Credentials("x-access-token", "token")
    assert git_credentials(Path("/data"), _access(1, None), lambda: http) is http


def test_a_platform_whose_urls_all_go_over_ssh_asks_no_http_credential(tmp_path: Path) -> None:
    asked: list[bool] = []

    def http() -> g.Credentials:
        asked.append(True)  # a GitHub App would mint a token here
        return g.Credentials("x-access-token", "token")

    key = SshKey("key", accept_new=True, convert=True, owner="org-1")
    used = git_credentials(tmp_path, _access(1, key), http)
    assert asked == []
    assert used is not None
    assert used.password == ""
    assert used.ssh is not None
    assert used.ssh.pin_file == tmp_path / "known_hosts" / "org-1"


def test_a_git_organization_keeps_its_token_for_https_urls(tmp_path: Path) -> None:
    key = SshKey("key", known_hosts="host ssh-ed25519 AAAA", owner="org-2")
    used = git_credentials(tmp_path, _access(6, key), lambda: g.Credentials("git", "token"))
    assert used is not None
    assert (used.username, used.password) == ("git", "token")
    assert used.ssh == key  # pinned only: no pin file
    assert used.ssh.pin_file is None
