"""What each platform's repository listing says about a repository, read from the listing
item the driver already has (fork, archived, topics, language, size, default branch,
description and the last-change time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from repovault.providers.base import Facts

MAX_TEXT = 2000  # a description is kept to this many characters
MAX_TOPICS = 100


def iso_ms(value: Any) -> int | None:
    """An ISO 8601 time (`2026-11-30T12:00:00Z`, with or without fraction and offset) in epoch
    milliseconds; None when missing or not a time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None  # a time without its zone cannot be compared
    return int(parsed.timestamp() * 1000)


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _topics(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(t[:100] for t in value if isinstance(t, str) and t)[:MAX_TOPICS]


def github_facts(item: dict[str, Any], *, changed: str = "pushed_at") -> Facts:
    """GitHub's repository object; Gitea's follows it (its last-change time: `updated_at`)."""
    return Facts(
        is_fork=bool(item.get("fork")),
        is_archived=bool(item.get("archived")),
        topics=_topics(item.get("topics")),
        language=_text(item.get("language"), 100),
        size_kb=_int(item.get("size")),
        default_branch=_text(item.get("default_branch"), 400),
        description=_text(item.get("description")),
        last_push_at=iso_ms(item.get(changed)),
    )


def gitlab_facts(item: dict[str, Any]) -> Facts:
    """GitLab's project: `forked_from_project` marks a fork; `topics` (older servers:
    `tag_list`); the size only when the listing carries `statistics`."""
    statistics = item.get("statistics") or {}
    size = _int(statistics.get("repository_size")) if isinstance(statistics, dict) else None
    return Facts(
        is_fork=bool(item.get("forked_from_project")),
        is_archived=bool(item.get("archived")),
        topics=_topics(item.get("topics") or item.get("tag_list")),
        size_kb=None if size is None else size // 1024,
        default_branch=_text(item.get("default_branch"), 400),
        description=_text(item.get("description")),
        last_push_at=iso_ms(item.get("last_activity_at")),
    )


def bitbucket_facts(item: dict[str, Any]) -> Facts:
    """Bitbucket Cloud's repository: `parent` marks a fork, `size` is in bytes."""
    size = _int(item.get("size"))
    branch = item.get("mainbranch") or {}
    return Facts(
        is_fork=bool(item.get("parent")),
        language=_text(item.get("language"), 100),
        size_kb=None if size is None else size // 1024,
        default_branch=_text(branch.get("name"), 400) if isinstance(branch, dict) else None,
        description=_text(item.get("description")),
        last_push_at=iso_ms(item.get("updated_on")),
    )
