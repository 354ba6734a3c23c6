"""The models and the migrations agree, on every database the suite can reach."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, Table

from repovault import migrate
from repovault.db import make_engine
from tests.integration.old_rows import insert_row, organization, repository


def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)  # again: a no-op on an up-to-date database
    migrate.check(engine)
    engine.dispose()


def test_repository_vaults_are_filled_from_the_task_history(tmp_path: Path) -> None:
    """0007 records, for backups made before it, which plan's vault holds which repository."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    common = {"created_at": 0}
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0006")
        insert_row(
            conn, "workers", id="w", name="embedded", hostname="", version="", last_seen=0, **common
        )
        insert_row(
            conn, "storages", id="s", name="local", type=1, settings={}, is_default=True, **common
        )
        organization(conn, "o")
        repository(conn, "r", "o")
        insert_row(
            conn,
            "plans",
            id="p",
            organization_id="o",
            name="p",
            type=1,
            backup_type=5,
            is_active=True,
            include_metadata=True,
            git_choice_mode=1,
            use_extra_credentials=False,
            ignore_corrupted_attachments=False,
            storage_id="s",
            worker_id="w",
            settings={},
            last_successes=0,
            last_warnings=0,
            last_errors=0,
            plan_finished_time=0,
            is_running=False,
            **common,
        )
        for task_id, status, finished in (("t1", 1, 100), ("t2", 2, 300), ("t3", 3, 500)):
            insert_row(
                conn,
                "tasks",
                id=task_id,
                kind="backup",
                status=status,
                plan_id="p",
                repository_id="r",
                worker_id="w",
                params={},
                result={},
                attempt=1,
                max_attempts=1,
                retry_delay_ms=0,
                not_before=0,
                dispatched_at=0,
                heartbeat_at=0,
                cancel_requested=False,
                progress=0,
                progress_text="",
                started_at=0,
                finished_at=finished,
                **common,
            )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        vaults = Table("repository_vaults", MetaData(), autoload_with=conn)
        rows = conn.execute(vaults.select()).all()
    engine.dispose()
    assert [tuple(row)[:3] for row in rows] == [("r", "p", 300)]  # the failed one does not count
