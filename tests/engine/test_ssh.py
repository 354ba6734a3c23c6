"""Git over SSH with an organization's key (issue 13 §3), against a real sshd: a backup over
ssh restores bit-exact; the key is on disk (0600 in a 0700 folder) only while the transfer
runs; a pinned host key refuses any other, naming the host; accept-new pins on first use and
refuses a later change; https clone URLs take their SSH form by one rule."""

from __future__ import annotations

import contextlib
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from repovault.backends.local import LocalBackend
from repovault.engine import git as g
from repovault.engine import ssh
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.errors import PushFailed
from repovault.engine.push import push_heads_and_tags
from repovault.engine.restore import restore_to_directory
from repovault.engine.ssh import SshKey
from repovault.engine.vault import Vault
from tests.engine.repos import commit, git, state, tricky_repository
from tests.engine.sshd import Sshd, keygen, sshd

__all__ = ["sshd"]


@pytest.fixture
def served(sshd: Sshd, tmp_path: Path) -> Path:
    """A bare repository the sshd serves: the tricky one."""
    source = tricky_repository(tmp_path / "source")
    bare = tmp_path / "served" / "app.git"
    git(tmp_path, "clone", "-q", "--mirror", str(source), str(bare))
    return bare


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the key files go to, watched by the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _vault(tmp_path: Path) -> Vault:
    return Vault(LocalBackend(tmp_path / "storage"), "repositories/app")


def _backup(url: str, key: SshKey, tmp_path: Path, *, force: bool = False) -> str:
    result = backup(
        url=url,
        vault=_vault(tmp_path),
        cache=tmp_path / "cache",
        credentials=g.Credentials(ssh=key),
        options=BackupOptions(force=force),
    )
    assert result.snapshot is not None
    return result.snapshot.id


def test_a_backup_over_ssh_restores_bit_exact_and_the_key_lives_only_during_it(
    sshd: Sshd, served: Path, temp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int, str]] = []
    real = ssh.identity

    @contextlib.contextmanager
    def watched(key: SshKey) -> Iterator[str]:
        with real(key) as command:
            (folder,) = temp.iterdir()  # the orphan is gone already
            key_file = folder / "id"
            modes = (stat.S_IMODE(folder.stat().st_mode), stat.S_IMODE(key_file.stat().st_mode))
            seen.append((*modes, command))
            assert key_file.read_text() == sshd.client_key
            yield command

    # A worker killed mid-transfer left its key behind: the next transfer removes it.
    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = temp / f"repovault-ssh-{dead.pid}-abc"
    orphan.mkdir()
    (orphan / "id").write_text("a key left behind")
    monkeypatch.setattr(ssh, "identity", watched)
    key = SshKey(sshd.client_key, known_hosts=sshd.known_hosts())
    snapshot = _backup(sshd.url(served), key, tmp_path)

    ((folder_mode, key_mode, command),) = seen
    assert (folder_mode, key_mode) == (0o700, 0o600)
    for option in ("-F /dev/null", "IdentitiesOnly=yes", "BatchMode=yes"):
        assert option in command
    assert "StrictHostKeyChecking=yes" in command
    assert sshd.client_key not in command  # a path, never the key
    assert list(temp.iterdir()) == []  # gone once the transfer ended

    restored = tmp_path / "restored.git"
    restore_to_directory(_vault(tmp_path), restored, snapshot=snapshot)
    assert state(restored) == state(served)

    # A later, incremental backup fetches over ssh into the kept mirror.
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(served), str(work))
    pushed = commit(work, "more")
    git(work, "push", "-q", "origin", "HEAD")
    later = _backup(sshd.url(served), key, tmp_path)
    assert later != snapshot
    again = tmp_path / "again.git"
    restore_to_directory(_vault(tmp_path), again, snapshot=later)
    assert state(again) == state(served)
    assert pushed in state(again)[2]
    assert list(temp.iterdir()) == []


def test_a_pinned_host_key_refuses_any_other(
    sshd: Sshd, served: Path, temp: Path, tmp_path: Path
) -> None:
    other = keygen(tmp_path / "other-host")
    kind, public = Path(f"{other}.pub").read_text().split()[:2]
    wrong = f"[127.0.0.1]:{sshd.port} {kind} {public}\n"
    with pytest.raises(g.GitError) as refused:
        _backup(sshd.url(served), SshKey(sshd.client_key, known_hosts=wrong), tmp_path)
    message = str(refused.value)
    assert f"host key of [127.0.0.1]:{sshd.port} has changed" in message
    assert refused.value.permanent
    assert list(temp.iterdir()) == []  # removed after a failure too

    elsewhere = f"[127.0.0.1]:1 {kind} {public}\n"  # a key for another host only
    with pytest.raises(g.GitError, match=r"is not in the organization's knownHosts"):
        _backup(sshd.url(served), SshKey(sshd.client_key, known_hosts=elsewhere), tmp_path)


def test_accept_new_pins_on_first_use_then_refuses_a_change(
    sshd: Sshd, served: Path, temp: Path, tmp_path: Path
) -> None:
    pins = tmp_path / "data" / "known_hosts" / "org-1"
    key = SshKey(sshd.client_key, accept_new=True, owner="org-1", pin_file=pins)
    _backup(sshd.url(served), key, tmp_path)
    assert stat.S_IMODE(pins.stat().st_mode) == 0o600
    assert stat.S_IMODE(pins.parent.stat().st_mode) == 0o700
    pinned = pins.read_text()
    assert sshd.known_hosts().split()[2] in pinned  # the server's key, recorded

    _backup(sshd.url(served), key, tmp_path, force=True)  # the same key: accepted
    sshd.new_host_key()
    with pytest.raises(g.GitError) as refused:
        _backup(sshd.url(served), key, tmp_path, force=True)
    assert f"host key of [127.0.0.1]:{sshd.port} has changed" in str(refused.value)
    assert pins.read_text() == pinned  # the change was not recorded
    # The new key given as knownHosts is trusted beside the pins.
    trusted = SshKey(
        sshd.client_key,
        known_hosts=sshd.known_hosts(),
        accept_new=True,
        owner="org-1",
        pin_file=pins,
    )
    _backup(sshd.url(served), trusted, tmp_path, force=True)
    assert list(temp.iterdir()) == []


def test_https_clone_urls_take_their_ssh_form_by_one_rule(tmp_path: Path) -> None:
    assert ssh.ssh_url("https://github.com/acme/app.git") == "git@github.com:acme/app.git"
    assert ssh.ssh_url("https://GitLab.example.com/g/sub/app.git") == (
        "git@gitlab.example.com:g/sub/app.git"
    )
    assert ssh.ssh_url("https://forge.example.com:3000/o/n.git") == "git@forge.example.com:o/n.git"
    assert ssh.ssh_url("file:///srv/git/app.git") is None
    assert ssh.ssh_url("https://github.com/") is None
    key = SshKey("k", known_hosts="", convert=True)
    assert ssh.over_ssh("https://github.com/acme/app.git", key) == "git@github.com:acme/app.git"
    assert ssh.over_ssh("git@host:a/b.git", key) == "git@host:a/b.git"
    assert ssh.over_ssh("ssh://git@host:2222/a/b.git", key) == "ssh://git@host:2222/a/b.git"
    plain = SshKey("k", known_hosts="", convert=False)  # a Git organization: URLs as they are
    assert ssh.over_ssh("https://git.example.com/a.git", plain) is None

    # Over https (a Git organization's https URL), the token and not the key.
    http = g.Credentials("git", "token", ssh=plain)
    with g.transfer(http, "https://git.example.com/a.git") as (url, used):
        assert url == "https://git.example.com/a.git"
        assert used is not None
        assert used.ssh is None
        assert "GIT_SSH_COMMAND" not in used.env()
        assert used.scope == "https://git.example.com/"
    # Over ssh, the key and no HTTP header.
    with g.transfer(g.Credentials("x", "token", ssh=key), "https://github.com/a/b.git") as (
        url,
        used,
    ):
        assert url == "git@github.com:a/b.git"
        assert used is not None
        env = used.env()
        assert set(env) == {"GIT_SSH_COMMAND", "GIT_SSH_VARIANT"}
        assert used.password == ""  # the token stays home
    assert "BEGIN" not in repr(SshKey("-----BEGIN OPENSSH PRIVATE KEY-----"))


def test_a_push_into_a_platform_goes_over_ssh(
    sshd: Sshd, served: Path, temp: Path, tmp_path: Path
) -> None:
    """A restore into an organization pushes branches and tags with its key; a host key
    that is not the pinned one refuses the push, naming the host."""
    key = SshKey(sshd.client_key, known_hosts=sshd.known_hosts())
    snapshot = _backup(sshd.url(served), key, tmp_path)
    target = tmp_path / "served" / "new.git"
    git(tmp_path, "init", "-q", "--bare", str(target))
    credentials = g.Credentials(ssh=key)
    assert push_heads_and_tags(_vault(tmp_path), snapshot, sshd.url(target), credentials) == []
    pushed, _head, _objects = state(target)
    expected = {
        n: o for n, o in state(served)[0].items() if n.startswith(("refs/heads/", "refs/tags/"))
    }
    assert pushed == expected
    assert list(temp.iterdir()) == []

    sshd.new_host_key()
    with pytest.raises(PushFailed, match=rf"host key of \[127.0.0.1\]:{sshd.port} has changed"):
        push_heads_and_tags(_vault(tmp_path), snapshot, sshd.url(target), credentials)
    assert list(temp.iterdir()) == []
