"""The `repovault` command line: the server, and the engine's commands (cli/engine.py)."""

from __future__ import annotations

import logging
import signal
import threading

import typer
import uvicorn

from repovault import migrate as migrations
from repovault.app import create_app, server_config
from repovault.cli import engine, remote
from repovault.config import Settings
from repovault.logs import configure_logging
from repovault.runner.loop import TaskSystem
from repovault.runtime import build_runtime

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
    runtime = build_runtime(settings)
    typer.echo(f"repovault: data in {settings.data_dir.resolve()}, serving {settings.base_url}")
    uvicorn.Server(server_config(create_app(runtime=runtime), settings)).run()


@app.command()
def worker(
    worker_id: str = typer.Option(
        None, "--id", help="This worker's name, as plans name it (default REPOVAULT_WORKER_ID)"
    ),
    threads: int = typer.Option(None, "--threads", min=1, max=64, help="Tasks run at once"),
) -> None:
    """Run a worker agent: register, heartbeat, and run the tasks of its own queue.

    Needs the server's database (REPOVAULT_DATABASE_URL), its broker (REPOVAULT_BROKER_URL),
    its secret key (REPOVAULT_SECRET_KEY) and storages this machine can reach."""
    overrides: dict[str, object] = {}
    if worker_id:
        overrides["worker_id"] = worker_id
    if threads:
        overrides["worker_threads"] = threads
    settings = Settings(**overrides)  # type: ignore[arg-type]
    configure_logging(logging.INFO)
    if not settings.broker_url:
        typer.echo("repovault worker needs REPOVAULT_BROKER_URL (amqp:// or redis://)", err=True)
        raise typer.Exit(2)
    runtime = build_runtime(settings)
    if not migrations.is_current(runtime.db.engine):
        typer.echo("the database is not migrated: start `repovault serve` first", err=True)
        raise typer.Exit(2)
    system = TaskSystem(runtime, worker=True, coordinator=False)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    system.start()
    typer.echo(
        f"repovault worker {settings.worker_id}: consuming its queue on {system.dispatcher.kind}"
    )
    stop.wait()
    system.stop()
    runtime.close()


@app.command()
def migrate() -> None:
    """Apply database migrations and exit."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(build_runtime(settings).db.engine)
    typer.echo("database is up to date")


engine.register(app)
remote.register(app)

if __name__ == "__main__":
    app()
