"""How an organization authenticates to its platform: a token (sealed), a file holding the
token (read at every use, so a mounted secret that rotates is always current), or a GitHub
App installation (its private key sealed; tokens minted by providers/github_app.py). One of
the three; `additionalTokens` only beside a token. Beside any of them, an SSH key for git
(`ssh`: the key sealed, the pinned host keys plain)."""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from repovault.common.errors import InvalidInput
from repovault.common.secrets import SecretBox
from repovault.engine.ssh import SshKey
from repovault.organizations.models import Organization
from repovault.providers.base import GitHubApp, ProviderAuthError

GITHUB = 1
MAX_TOKEN_FILE = 64 * 1024


@dataclass(frozen=True)
class Credential:
    token: str | None = None
    token_file: str | None = None
    github_app: GitHubApp | None = None


def checked(driver: int, credential: Credential) -> Credential:
    """The credential, refused when it mixes kinds or does not fit the driver."""
    given = [
        name
        for name, value in (
            ("token", credential.token),
            ("tokenFile", credential.token_file),
            ("githubApp", credential.github_app),
        )
        if value
    ]
    if len(given) > 1:
        raise InvalidInput.field(given[1], f"give one of {' or '.join(given)}, not both")
    if credential.github_app and driver != GITHUB:
        raise InvalidInput.field(
            "githubApp", "a GitHub App authenticates GitHub organizations only"
        )
    if credential.token_file is not None and not os.path.isabs(credential.token_file):
        raise InvalidInput.field("tokenFile", "give the absolute path of the file")
    return credential


def read_token_file(path: str) -> str:
    """The token in `path` (surrounding whitespace removed), read now."""
    try:
        with Path(path).open("rb") as file:
            raw = file.read(MAX_TOKEN_FILE + 1)
    except OSError as exc:
        raise ProviderAuthError(f"the token file {path} cannot be read: {exc.strerror}") from exc
    if len(raw) > MAX_TOKEN_FILE:
        raise ProviderAuthError(f"the token file {path} is larger than {MAX_TOKEN_FILE} bytes")
    token = raw.decode("utf-8", "replace").strip()
    if not token:
        raise ProviderAuthError(f"the token file {path} is empty")
    return token


def seal_app(box: SecretBox, app: GitHubApp) -> str:
    fields = {
        "appId": app.app_id,
        "installationId": app.installation_id,
        "privateKey": app.private_key,
    }
    return box.seal(json.dumps(fields))


def open_app(box: SecretBox, sealed: str) -> GitHubApp:
    fields = json.loads(box.open(sealed))
    return GitHubApp(int(fields["appId"]), int(fields["installationId"]), str(fields["privateKey"]))


# Git over SSH (engine/ssh.py): for the platforms whose https clone URLs have an SSH form
# (`ssh_url`) and for plain Git URLs; Bitbucket and Azure DevOps name theirs differently.
SSH_DRIVERS = {1: True, 3: True, 5: True, 6: False}  # driver: its https URLs converted
MAX_KNOWN_HOSTS = 64 * 1024
_PEM_PRIVATE = re.compile(r"-----BEGIN (RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----")
_KEY_TYPE = re.compile(r"^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)$")


@dataclass(frozen=True)
class SshSetting:
    """`ssh` as given: a new private key (None: keep the organization's), the pinned
    host keys, and whether unknown hosts are accepted on first use."""

    private_key: str | None
    known_hosts: str = ""
    accept_new: bool = False

    def __repr__(self) -> str:
        return f"SshSetting(accept_new={self.accept_new})"


def checked_ssh(driver: int, setting: SshSetting, *, has_key: bool) -> SshSetting:
    """The setting, refused (400 on the `ssh` field at fault) when it cannot work."""
    if driver not in SSH_DRIVERS:
        raise InvalidInput.field(
            "ssh", "SSH cloning is for GitHub, GitLab, Gitea/Forgejo and Git organizations"
        )
    if setting.private_key is not None:
        check_private_key(setting.private_key)
    elif not has_key:
        raise InvalidInput.field("ssh.privateKey", "give the private key SSH authenticates with")
    known_hosts = check_known_hosts(setting.known_hosts)
    if not known_hosts and not setting.accept_new:
        raise InvalidInput.field(
            "ssh.knownHosts",
            "give the server's host keys (known_hosts lines, `ssh-keyscan HOST`), "
            "or acceptNewHostKey: true to trust each host's key on first use",
        )
    return SshSetting(setting.private_key, known_hosts, setting.accept_new)


def check_private_key(text: str) -> None:
    """An unencrypted OpenSSH or PEM private key, or a 400 on `ssh.privateKey` saying why."""
    data = (text.replace("\r\n", "\n").strip() + "\n").encode()
    openssh = b"-----BEGIN OPENSSH PRIVATE KEY-----" in data
    if not openssh and not _PEM_PRIVATE.search(data.decode()):
        raise InvalidInput.field(
            "ssh.privateKey",
            "expected an OpenSSH or PEM private key (-----BEGIN OPENSSH PRIVATE KEY-----); "
            "a public key or anything else cannot sign in",
        )
    try:
        if openssh:
            serialization.load_ssh_private_key(data, password=None)
        else:
            serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:  # encrypted, and no passphrase given
        raise InvalidInput.field(
            "ssh.privateKey",
            "the key is encrypted with a passphrase: give it unencrypted "
            "(`ssh-keygen -p -N '' -f KEY` on a copy); repovault seals it at rest",
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        reason = str(exc).split(". See ", 1)[0]
        raise InvalidInput.field("ssh.privateKey", f"not a usable private key: {reason}") from exc


def check_known_hosts(text: str) -> str:
    """known_hosts lines (`[marker] hosts keytype base64`; comments and blank lines
    dropped), or a 400 on `ssh.knownHosts` naming the bad line."""
    if len(text) > MAX_KNOWN_HOSTS:
        raise InvalidInput.field("ssh.knownHosts", f"at most {MAX_KNOWN_HOSTS} characters")
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if fields[0].startswith("@"):
            fields = fields[1:]
        if len(fields) < 3 or not _KEY_TYPE.match(fields[1]) or not _base64(fields[2]):
            raise InvalidInput.field(
                "ssh.knownHosts",
                f"line {number} is not a known_hosts line (`host keytype base64-key`)",
            )
        lines.append(line)
    return "\n".join(lines)


def _base64(text: str) -> bool:
    try:
        return bool(base64.b64decode(text, validate=True))
    except ValueError:
        return False


def apply_ssh(box: SecretBox, org: Organization, setting: SshSetting | None) -> None:
    """The organization's SSH setting from now on (None: none, git over HTTPS again)."""
    if setting is None:
        org.ssh_key_sealed, org.ssh_known_hosts, org.ssh_accept_new = None, None, False
        return
    setting = checked_ssh(org.driver, setting, has_key=bool(org.ssh_key_sealed))
    if setting.private_key is not None:
        key = setting.private_key.replace("\r\n", "\n").strip() + "\n"
        org.ssh_key_sealed = box.seal(key)
    org.ssh_known_hosts = setting.known_hosts or None
    org.ssh_accept_new = setting.accept_new


def ssh_of(box: SecretBox, org: Organization) -> SshKey | None:
    """The organization's SSH key, opened (None when its git goes over HTTPS)."""
    if not org.ssh_key_sealed:
        return None
    return SshKey(
        private_key=box.open(org.ssh_key_sealed),
        known_hosts=org.ssh_known_hosts or "",
        accept_new=bool(org.ssh_accept_new),
        convert=SSH_DRIVERS.get(org.driver, False),
        owner=org.id,
    )
