"""The models and the migrations agree, on every database the suite can reach."""

from __future__ import annotations

from repovault import migrate
from repovault.db import make_engine


def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)  # again: a no-op on an up-to-date database
    migrate.check(engine)
    engine.dispose()
