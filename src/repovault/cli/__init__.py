"""The `repovault` command line: the server, and the engine's commands (cli/engine.py)."""

from __future__ import annotations

import logging

import typer
import uvicorn

from repovault import migrate as migrations
from repovault.app import build_services, create_app
from repovault.cli import engine
from repovault.config import Settings
from repovault.logs import configure_logging

app = typer.Typer(help="repovault: backups of Git hosting organizations.", no_args_is_help=True)


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every step (to stderr)"),
) -> None:
    """Logs are JSON lines on stderr, so stdout stays clean for --json output."""
    configure_logging(logging.INFO if verbose else logging.WARNING)


@app.command()
def serve() -> None:
    """Migrate the database and serve the API on REPOVAULT_HOST:REPOVAULT_PORT."""
    settings = Settings()
    configure_logging(logging.INFO)
    services = build_services(settings)
    typer.echo(f"repovault: data in {settings.data_dir.resolve()}, serving {settings.base_url}")
    uvicorn.run(
        create_app(services=services), host=settings.host, port=settings.port, log_config=None
    )


@app.command()
def migrate() -> None:
    """Apply database migrations and exit."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(build_services(settings).db.engine)
    typer.echo("database is up to date")


engine.register(app)

if __name__ == "__main__":
    app()
