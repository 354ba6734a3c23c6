"""Engine commands: back up, list, restore, verify and prune without a server.

    repovault backup https://github.com/org/repo.git --storage /backups --token-env GH_TOKEN
    repovault snapshots https://github.com/org/repo.git --storage /backups
    repovault restore https://github.com/org/repo.git --storage /backups --to ./repo.git

Secrets never go in arguments: the encryption password comes from the variable named by
`--password-env` (default REPOVAULT_PASSWORD), the platform token from `--token-env`, S3
keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from repovault.backends.base import Backend
from repovault.backends.registry import open_url
from repovault.config import Settings
from repovault.engine import codecs
from repovault.engine import git as g
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.layout import command_line_prefix
from repovault.engine.restore import restore_to_directory, restore_to_url
from repovault.engine.retention import Gfs, Option, Policy, prune
from repovault.engine.vault import Compression, Vault
from repovault.engine.verify import verify

console = Console(stderr=True)
PASSWORD_VARIABLE = "REPOVAULT_PASSWORD"  # noqa: S105 (the name of a variable)

StorageOpt = Annotated[
    str,
    typer.Option(
        "--storage",
        help="A folder, s3://bucket/prefix, azure://container/prefix, gs://bucket/prefix, "
        "sftp://user@host/path, webdav+https://host/path or rclone://remote:path",
    ),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option("--s3-endpoint", "--endpoint", help="Endpoint of the S3, Azure or GCS storage"),
]
PrefixOpt = Annotated[
    str | None, typer.Option(help="Folder inside the storage (default: from URL)")
]
PasswordOpt = Annotated[str, typer.Option("--password-env", help="Variable holding the password")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
AllowEarlierOpt = Annotated[
    bool,
    typer.Option(
        "--allow-earlier",
        help="When the newest snapshot is damaged, restore the newest intact earlier one",
    ),
]


def open_storage(spec: str, endpoint: str | None) -> Backend:
    return open_url(spec, endpoint=endpoint)


def _vault(
    url: str, storage: str, endpoint: str | None, prefix: str | None, password_env: str
) -> Vault:
    return Vault(
        open_storage(storage, endpoint),
        prefix or command_line_prefix(url),
        password=os.environ.get(password_env) or None,
    )


def _credentials(token_env: str | None, username: str) -> g.Credentials | None:
    if token_env is None:
        return None
    token = os.environ.get(token_env)
    if not token:
        raise typer.BadParameter(f"${token_env} is empty", param_hint="--token-env")
    return g.Credentials(username=username, password=token)


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


def backup_command(
    url: str,
    storage: StorageOpt,
    kind: Annotated[str, typer.Option(help="full, differential or incremental")] = "incremental",
    codec: Annotated[str, typer.Option(help="none, lz4 or zstd")] = "zstd",
    level: Annotated[int, typer.Option(min=1, max=3, help="1 fast, 2 medium, 3 high")] = 2,
    lfs: Annotated[str, typer.Option(help="auto, always or never")] = "auto",
    force: Annotated[bool, typer.Option(help="Snapshot even when unchanged")] = False,
    token_env: Annotated[str | None, typer.Option(help="Variable holding the token")] = None,
    username: Annotated[str, typer.Option(help="User name for the token")] = "x-access-token",
    prefix: PrefixOpt = None,
    s3_endpoint: EndpointOpt = None,
    password_env: PasswordOpt = PASSWORD_VARIABLE,
    cache: Annotated[Path | None, typer.Option(help="Mirror cache folder")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up one repository (all refs, LFS objects) into a storage."""
    if kind not in ("full", "differential", "incremental"):
        raise typer.BadParameter(kind, param_hint="--kind")
    vault = _vault(url, storage, s3_endpoint, prefix, password_env)
    mirror = (
        cache
        or Settings().data_dir / "cache" / hashlib.sha256(g.redact(url).encode()).hexdigest()[:24]
    )
    options = BackupOptions(
        kind=kind, lfs=lfs, force=force, compression=Compression(codecs.by_name(codec), level)
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"backing up {g.redact(url)}", total=None)
        try:
            result = backup(
                url=url,
                vault=vault,
                cache=mirror,
                credentials=_credentials(token_env, username),
                options=options,
                progress=lambda _stage, done: bar.update(task, completed=done),
            )
        except Exception as exc:
            _fail(str(exc))
    manifest = result.snapshot
    summary = {
        "created": result.created,
        "snapshot": manifest and manifest.id,
        "kind": manifest and manifest.kind,
        "storedBytes": manifest and manifest.stored_bytes,
        "objects": manifest and manifest.content.object_count,
        "seconds": round(result.seconds, 3),
        "swept": result.swept,
    }
    if as_json:
        print(json.dumps(summary))
    elif result.created:
        console.print(
            f"snapshot {summary['snapshot']} ({summary['kind']}, "
            f"{summary['objects']} objects, {summary['storedBytes']} bytes stored)"
        )
    else:
        console.print(f"unchanged since snapshot {summary['snapshot']}")


def snapshots_command(
    url: str,
    storage: StorageOpt,
    prefix: PrefixOpt = None,
    s3_endpoint: EndpointOpt = None,
    password_env: PasswordOpt = PASSWORD_VARIABLE,
    as_json: JsonOpt = False,
) -> None:
    """List a repository's snapshots, oldest first."""
    try:
        manifests = _vault(url, storage, s3_endpoint, prefix, password_env).manifests()
    except Exception as exc:
        _fail(str(exc))
    rows = sorted(manifests.values(), key=lambda m: m.created_at)
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "id": m.id,
                        "kind": m.kind,
                        "parent": m.parent,
                        "createdAt": m.created_at,
                        "storedBytes": m.stored_bytes,
                        "refs": len(m.content.refs),
                        "encrypted": m.encrypted,
                    }
                    for m in rows
                ]
            )
        )
        return
    table = Table("id", "kind", "created (UTC)", "refs", "stored bytes", "parent")
    for m in rows:
        created = datetime.fromtimestamp(m.created_at / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            m.id, m.kind, created, str(len(m.content.refs)), str(m.stored_bytes), m.parent or ""
        )
    Console().print(table)


def restore_command(
    url: str,
    storage: StorageOpt,
    to: Annotated[Path | None, typer.Option(help="Restore into this new folder")] = None,
    push: Annotated[str | None, typer.Option(help="Push the snapshot to this git URL")] = None,
    bare: Annotated[bool, typer.Option(help="Bare mirror (default) or working clone")] = True,
    snapshot: Annotated[str | None, typer.Option(help="Snapshot id (default: newest)")] = None,
    allow_earlier: AllowEarlierOpt = False,
    token_env: Annotated[str | None, typer.Option(help="Token for --push")] = None,
    username: Annotated[str, typer.Option()] = "x-access-token",
    prefix: PrefixOpt = None,
    s3_endpoint: EndpointOpt = None,
    password_env: PasswordOpt = PASSWORD_VARIABLE,
) -> None:
    """Restore a snapshot into a folder or push it to a git URL."""
    if (to is None) == (push is None):
        raise typer.BadParameter("give exactly one of --to and --push")
    vault = _vault(url, storage, s3_endpoint, prefix, password_env)
    try:
        if to is not None:
            result = restore_to_directory(
                vault, to, snapshot=snapshot, bare=bare, allow_earlier=allow_earlier
            )
        else:
            assert push is not None
            result = restore_to_url(
                vault,
                push,
                snapshot=snapshot,
                credentials=_credentials(token_env, username),
                allow_earlier=allow_earlier,
            )
    except Exception as exc:
        _fail(str(exc))
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"restored snapshot {result.snapshot.id} to {result.target}")


def verify_command(
    url: str,
    storage: StorageOpt,
    snapshot: Annotated[str | None, typer.Option()] = None,
    prefix: PrefixOpt = None,
    s3_endpoint: EndpointOpt = None,
    password_env: PasswordOpt = PASSWORD_VARIABLE,
    as_json: JsonOpt = False,
) -> None:
    """Check every stored object, decrypt, apply the bundles, fsck. Exit 1 on damage."""
    try:
        report = verify(_vault(url, storage, s3_endpoint, prefix, password_env), snapshot)
    except Exception as exc:
        _fail(str(exc))
    if as_json:
        print(
            json.dumps(
                {"checked": report.checked, "problems": [asdict(p) for p in report.problems]}
            )
        )
    else:
        for problem in report.problems:
            console.print(f"[red]damaged[/red] {problem.snapshot}: {problem.message}")
        console.print(
            f"{len(report.checked)} snapshot(s) checked, {len(report.problems)} problem(s)"
        )
    if not report.ok:
        raise typer.Exit(1)


def prune_command(
    url: str,
    storage: StorageOpt,
    keep_last: Annotated[int | None, typer.Option(min=1)] = None,
    keep_days: Annotated[int | None, typer.Option(min=1)] = None,
    gfs: Annotated[str | None, typer.Option(help="days,weeks,months,years")] = None,
    dry_run: Annotated[bool, typer.Option()] = False,
    prefix: PrefixOpt = None,
    s3_endpoint: EndpointOpt = None,
    password_env: PasswordOpt = PASSWORD_VARIABLE,
) -> None:
    """Delete snapshots the policy does not keep (never one a kept one depends on)."""
    if keep_last:
        policy = Policy(rule=2, options=(Option(number=keep_last),))
    elif keep_days:
        policy = Policy(rule=3, options=(Option(number=keep_days, period=1),))
    elif gfs:
        days, weeks, months, years = (int(x) for x in gfs.split(","))
        policy = Policy(rule=2, options=(), gfs=Gfs(days, weeks, months, years))
    else:
        raise typer.BadParameter("give --keep-last, --keep-days or --gfs")
    try:
        result = prune(
            _vault(url, storage, s3_endpoint, prefix, password_env), policy, dry_run=dry_run
        )
    except Exception as exc:
        _fail(str(exc))
    verb = "would delete" if dry_run else "deleted"
    console.print(
        f"kept {len(result.kept)}, {verb} {len(result.deleted)}: "
        f"{', '.join(result.deleted) or 'nothing'}"
    )


COMMANDS: dict[str, Callable[..., None]] = {  # in the order `repovault --help` lists them
    "backup": backup_command,
    "snapshots": snapshots_command,
    "restore": restore_command,
    "verify": verify_command,
    "prune": prune_command,
}


def register(app: typer.Typer) -> None:
    for name, command in COMMANDS.items():
        app.command(name)(command)


__all__ = ["register"]
