"""Rows written straight into an older schema, for the tests of data migrations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, MetaData, Table, insert


def insert_row(conn: Connection, table: str, **values: Any) -> None:
    conn.execute(insert(Table(table, MetaData(), autoload_with=conn)).values(**values))


def organization(conn: Connection, org_id: str, **values: Any) -> None:
    """A driver-6 organization with every column its first schema requires."""
    defaults: dict[str, Any] = {
        "driver": 6,
        "name": org_id,
        "extra_tokens_sealed": [],
        "is_read_only": False,
        "is_created_by_marketplace": False,
        "auto_add_new_repositories": False,
        "synchronization_in_progress": False,
        "last_sync_start": 0,
        "sync_requested_at": 0,
        "created_at": 0,
    }
    insert_row(conn, "organizations", id=org_id, **{**defaults, **values})


def repository(conn: Connection, repo_id: str, organization_id: str, **values: Any) -> None:
    """A protected repository that was never backed up."""
    defaults: dict[str, Any] = {
        "server_id": repo_id,
        "name": repo_id,
        "url": "",
        "is_public": False,
        "licence_active": True,
        "is_removed": False,
        "status": 1,
        "last_backup": 0,
        "last_successful_backup": 0,
        "next_backup": 0,
        "last_backup_task_status": 0,
        "created_at": 0,
    }
    insert_row(
        conn, "repositories", id=repo_id, organization_id=organization_id, **{**defaults, **values}
    )
