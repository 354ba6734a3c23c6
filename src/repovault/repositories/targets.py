"""Where a restore may write: the checks of a restore target, at the call and on the worker.

A directory target must lie strictly below one of the restore roots
(`REPOVAULT_RESTORE_ROOTS`, by default `<data dir>/restores`), judged on its real path (`..`
and symlinks resolved), must not be or hold any of repovault's own files (a local storage's
folder, the data folder outside the roots it contains) and must be a new or empty folder. The
API checks with its settings before any task exists (a 400); the worker checks again with its
own settings right before it writes, since a folder may have changed in between.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from repovault.common.errors import InvalidInput
from repovault.common.secrets import SecretBox
from repovault.common.urls import check_no_credentials
from repovault.config import Settings

GIT_SCHEMES = ("http", "https", "ssh", "git", "file")
# What GitHub and Gitea accept as a repository name (not "." or "..").
REPOSITORY_NAME = re.compile(r"(?!\.\.?$)[A-Za-z0-9._-]{1,100}")
# An Azure DevOps target may name its project: `project/name` (a project name has spaces).
PROJECT_NAME = re.compile(r"(?!\.\.?$)[A-Za-z0-9._-][A-Za-z0-9 ._-]{0,63}")


class TargetRefused(ValueError):
    """The target is not one this server may write to; no retry changes that."""

    permanent = True


def _overlap(a: Path, b: Path) -> bool:
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def check_directory(settings: Settings, path: str, *, storages: Iterable[Path] = ()) -> Path:
    """The real path to restore into, or `TargetRefused` saying why not.

    A relative path is taken below the first restore root."""
    roots = settings.effective_restore_roots
    raw = Path(path) if PurePosixPath(path).is_absolute() else roots[0] / path
    real = raw.resolve()
    data = settings.data_dir.resolve()
    below = [root for root in roots if real != root and real.is_relative_to(root)]
    if not below:
        shown = ", ".join(str(root) for root in roots)
        raise TargetRefused(f"{path!r} ({real}) is not below a restore root ({shown})")
    if real.is_relative_to(data) and not any(root.is_relative_to(data) for root in below):
        raise TargetRefused(f"{real} is inside the data folder {data}: not a restore root")
    if data.is_relative_to(real):
        raise TargetRefused(f"{real} holds the data folder {data}")
    for storage in storages:
        if _overlap(real, storage.resolve()):
            raise TargetRefused(f"{real} overlaps the storage folder {storage}")
    if real.exists() and not real.is_dir():
        raise TargetRefused(f"{real} exists and is not a folder")
    if real.is_dir() and any(real.iterdir()):
        raise TargetRefused(f"{real} is not empty: restore into a new or empty folder")
    return real


def check_target(
    target: dict[str, Any], settings: Settings, box: SecretBox, *, storages: Iterable[Path]
) -> dict[str, Any]:
    """The target of `/git/repositories/restore` as the task keeps it (token sealed)."""
    kind = str(target.get("kind", "")).lower()
    if kind == "directory":
        path = target.get("path")
        if not isinstance(path, str) or not path.strip() or "\x00" in path:
            raise InvalidInput.field("target.path", "a folder path below a restore root")
        try:
            check_directory(settings, path, storages=storages)
        except TargetRefused as exc:
            raise InvalidInput.field("target.path", str(exc)) from exc
        bare = target.get("bare", True)
        if not isinstance(bare, bool):
            raise InvalidInput.field("target.bare", "true or false")
        return {"kind": "directory", "path": path, "bare": bare}
    if kind == "url":
        url = target.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in GIT_SCHEMES:
            raise InvalidInput.field("target.url", "a git URL (https://, ssh://, file://)")
        check_no_credentials(url, "target.url", instead="target.token (and target.username)")
        token = target.get("token")
        if token is not None and not isinstance(token, str):
            raise InvalidInput.field("target.token", "a string")
        username = target.get("username")
        return {
            "kind": "url",
            "url": url,
            "username": username if isinstance(username, str) else None,
            "tokenSealed": box.seal(token) if token else None,
        }
    if kind == "platform":
        return _platform(target)
    raise InvalidInput.field("target.kind", "'directory', 'url' or 'platform'")


def _flag(target: dict[str, Any], key: str) -> bool:
    value = target.get(key, False)
    if not isinstance(value, bool):
        raise InvalidInput.field(f"target.{key}", "true or false")
    return value


def _target_name(name: str) -> bool:
    project, slash, repository = name.rpartition("/")
    if slash and not PROJECT_NAME.fullmatch(project):
        return False
    return bool(REPOSITORY_NAME.fullmatch(repository))


def _platform(target: dict[str, Any]) -> dict[str, Any]:
    """A repository of an organization (its credentials are the organization's own; the
    organization itself is checked by the caller, which has the database)."""
    organization = target.get("organizationId")
    if not isinstance(organization, str) or not organization.strip():
        raise InvalidInput.field(
            "target.organizationId", "the id of the organization to restore into"
        )
    name = target.get("name")
    if name is not None and (not isinstance(name, str) or not _target_name(name)):
        raise InvalidInput.field(
            "target.name",
            "a repository name: letters, digits, '.', '-', '_' (at most 100); into Azure "
            "DevOps `project/name`",
        )
    return {
        "kind": "platform",
        "organizationId": organization,
        "name": name,
        "overwrite": _flag(target, "overwrite"),
        "dryRun": _flag(target, "dryRun"),
    }
