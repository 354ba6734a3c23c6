"""Plain Git (driver 6): repositories added by URL, and, when `apiUrl` is a `file://`
folder, every bare repository below it, discovered by synchronization."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from repovault.engine.git import Credentials
from repovault.providers.base import Access, ProviderNotFound, RemoteRepository


def _is_bare(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


class GitDriver:
    def __init__(self, access: Access) -> None:
        self.access = access
        parts = urlsplit(access.api_url or "")
        self.folder = Path(unquote(parts.path)) if parts.scheme == "file" else None

    def check(self) -> None:
        if self.folder is not None and not self.folder.is_dir():
            raise ProviderNotFound(f"{self.folder} is not a folder on this server")

    def repositories(self) -> Iterator[RemoteRepository]:
        if self.folder is None:
            return
        for root, dirs, _files in os.walk(self.folder):
            dirs.sort()
            path = Path(root)
            if _is_bare(path):
                dirs.clear()  # a repository's own folders are not repositories
                url = path.resolve().as_uri()
                name = path.relative_to(self.folder).as_posix().removesuffix(".git")
                yield RemoteRepository(
                    server_id=url, name=name or path.name, clone_url=url, is_public=False
                )

    def manages(self, server_id: str) -> bool:
        """Only repositories below the folder; those added by URL stay as they are."""
        return self.folder is not None and server_id.startswith(self.folder.resolve().as_uri())

    def git_credentials(self) -> Credentials | None:
        if self.access.token:
            return Credentials(self.access.username or "git", self.access.token)
        return None
