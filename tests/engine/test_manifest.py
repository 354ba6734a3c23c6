"""What a manifest records of the metadata documents: their item counts (sealed with the
rest of the content when encrypted), none written when there are none, and manifests that
name content keys of a newer version still read."""

from __future__ import annotations

import json
from pathlib import Path

from repovault.backends.local import LocalBackend
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.layout import manifest_key
from repovault.engine.manifest import Content, Manifest, is_snapshot_id, snapshot_id
from repovault.engine.vault import Vault
from tests.engine.repos import tricky_repository


def test_a_backup_records_the_counts_it_was_given(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    vault = Vault(LocalBackend(tmp_path / "store"), "r/", password="pw")
    documents: dict[str, bytes | Path] = {
        "issues.json": b'[\n{"number": 1},\n{"number": 2}\n]\n',
        "release-assets/1/app.zip": b"PK",
    }
    counts = {"issues.json": 2, "labels.json": 5}  # a document not stored is left out
    result = backup(
        url=f"file://{source}",
        vault=vault,
        cache=tmp_path / "cache",
        options=BackupOptions(metadata=documents, counts=counts),
    )
    assert result.snapshot is not None
    assert result.snapshot.content.counts == {"issues.json": 2}
    raw = (tmp_path / "store" / manifest_key("r/", result.snapshot.id)).read_bytes()
    assert b"counts" not in raw  # sealed with the content
    (read,) = Vault(LocalBackend(tmp_path / "store"), "r/", password="pw").manifests().values()
    assert read.content.counts == {"issues.json": 2}


def test_no_counts_written_without_documents_and_unknown_keys_read() -> None:
    content = Content(head=None, refs={}, object_count=0)
    manifest = Manifest(
        id=snapshot_id(),
        repository="r",
        kind="full",
        parent=None,
        created_at=1,
        codec="zstd",
        level=2,
        encrypted=False,
        objects=[],
        content=content,
    )
    data = json.loads(manifest.to_json(None))
    assert "counts" not in data["content"]  # as older versions wrote it
    data["content"]["newer"] = {"kept": True}
    assert Manifest.from_json(json.dumps(data).encode(), None).content == content


def test_snapshot_ids_are_recognised() -> None:
    assert is_snapshot_id(snapshot_id())
    for bad in ("", "../x", "20240101T000000000000Z-00000g", "20240101T000000000000Z-000000/x"):
        assert not is_snapshot_id(bad)
