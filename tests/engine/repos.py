"""Repositories with tricky content, built with the git CLI, and ways to compare them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "T",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "T",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": os.environ.get("HOME", "/tmp"),
}


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, env=ENV, input=input, check=True
    )
    return result.stdout.decode("utf-8", "surrogateescape").strip()


def commit(repo: Path, message: str, files: dict[str, bytes] | None = None) -> str:
    for name, data in (files or {}).items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        git(repo, "add", "--", name)
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def tricky_repository(path: Path) -> Path:
    """Annotated, lightweight and nested tags, tags on a blob and a tree, notes, an orphan
    branch, refs/pull/*, HEAD on a non-default branch, non-ASCII names, a symlink and a
    submodule gitlink."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=ENV)
    first = commit(path, "first", {"README.md": b"hello\n", "café ☕.txt": b"non-ascii\n"})
    (path / "link").symlink_to("README.md")
    git(path, "add", "link")
    commit(path, "symlink")
    git(path, "update-index", "--add", "--cacheinfo", f"160000,{first},vendor/sub")
    second = commit(
        path,
        "submodule gitlink",
        {
            ".gitmodules": b'[submodule "sub"]\n\tpath = vendor/sub\n\turl = https://example.org/sub\n'
        },
    )
    git(path, "tag", "-a", "v1.0", "-m", "release")
    git(path, "tag", "light", first)
    git(path, "tag", "-a", "v1.0-signed-off", "-m", "tag on a tag", "v1.0")
    blob = git(path, "rev-parse", "HEAD:README.md")
    git(path, "tag", "-a", "blob-tag", "-m", "a blob", blob)
    tree = git(path, "rev-parse", "HEAD^{tree}")
    git(path, "tag", "tree-tag", tree)
    git(path, "notes", "add", "-m", "a note", second)
    git(path, "checkout", "-q", "-b", "développement")
    commit(path, "on a non-ascii branch", {"dev.txt": b"dev\n"})
    git(path, "checkout", "-q", "--orphan", "gh-pages")
    git(path, "rm", "-rqf", ".")
    commit(path, "orphan", {"index.html": b"<html></html>\n"})
    git(path, "update-ref", "refs/pull/1/head", second)
    git(path, "update-ref", "refs/pull/1/merge", first)
    git(path, "checkout", "-q", "développement")
    return path


def state(repo: Path) -> tuple[dict[str, str], str, set[str]]:
    """(refs, HEAD's target, every object reachable from any ref)."""
    refs = {}
    for line in git(repo, "for-each-ref", "--format=%(objectname) %(refname)").splitlines():
        oid, name = line.split(" ", 1)
        refs[name] = oid
    head = git(repo, "symbolic-ref", "-q", "HEAD")
    objects = set(git(repo, "rev-list", "--objects", "--all").split("\n")) if refs else set()
    return refs, head, {line.split(" ")[0] for line in objects if line}
