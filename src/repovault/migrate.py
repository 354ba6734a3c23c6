"""Applies Alembic migrations programmatically (on every start) and checks for drift."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine


def alembic_config(engine_connection: object) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "repovault:migrations")
    cfg.attributes["connection"] = engine_connection
    return cfg


def upgrade(engine: Engine) -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest revision this code knows."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(None)).get_current_head()
    return current == head


def check(engine: Engine) -> None:
    """Raises when the models differ from what the migrations build."""
    with engine.begin() as conn:
        command.check(alembic_config(conn))


def revision(engine: Engine, message: str) -> None:
    with engine.begin() as conn:
        command.revision(alembic_config(conn), message=message, autogenerate=True)
