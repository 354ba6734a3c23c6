"""Snapshot manifests (where they and everything else live: `engine/layout.py`).

A manifest's public part (ids, kind, parent, time, sizes and SHA-256 of every stored
object) is readable without the password; its content (refs, HEAD, counts, LFS ids) is
sealed with the folder's key when the snapshot is encrypted.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from repovault import __version__
from repovault.engine import crypto
from repovault.engine.errors import MissingManifest

FORMAT = 1
KINDS = ("full", "differential", "incremental")


def snapshot_id(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return moment.strftime("%Y%m%dT%H%M%S%fZ") + "-" + os.urandom(3).hex()


_SNAPSHOT_ID = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{6}")


def is_snapshot_id(text: str) -> bool:
    """Whether `text` is spelled as `snapshot_id` spells ids (safe inside a storage key)."""
    return _SNAPSHOT_ID.fullmatch(text) is not None


@dataclass(frozen=True)
class StoredObject:
    name: str
    key: str
    size: int
    sha256: str
    raw_size: int


@dataclass
class Content:
    head: str | None
    refs: dict[str, str]
    object_count: int
    lfs: list[str] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    # Items in each JSON metadata document, counted as it was written (absent in snapshots
    # made before counts were recorded, and for documents given without a count).
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The content's JSON; `counts` only when there are some, so that a snapshot without
        metadata reads as before in older versions."""
        content = asdict(self)
        if not self.counts:
            del content["counts"]
        return content

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Content:
        """Keys this version does not know (written by a newer one) are left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Manifest:
    id: str
    repository: str
    kind: str
    parent: str | None
    created_at: int
    codec: str
    level: int
    encrypted: bool
    objects: list[StoredObject]
    content: Content
    tool: str = f"repovault {__version__}"
    format: int = FORMAT

    def object(self, name: str) -> StoredObject | None:
        return next((o for o in self.objects if o.name == name), None)

    @property
    def stored_bytes(self) -> int:
        return sum(o.size for o in self.objects)

    def to_json(self, master: bytes | None) -> bytes:
        public: dict[str, Any] = {
            "format": self.format,
            "tool": self.tool,
            "id": self.id,
            "repository": self.repository,
            "kind": self.kind,
            "parent": self.parent,
            "createdAt": self.created_at,
            "compression": {"codec": self.codec, "level": self.level},
            "encryption": {"algorithm": "AES-256-GCM", "kdf": "scrypt"} if self.encrypted else None,
            "objects": [asdict(o) for o in self.objects],
        }
        content = self.content.to_dict()
        if self.encrypted:
            assert master is not None
            public["sealedContent"] = crypto.seal_bytes(json.dumps(content).encode(), master)
        else:
            public["content"] = content
        return json.dumps(public, indent=2).encode()

    @classmethod
    def from_json(cls, raw: bytes, master: bytes | None) -> Manifest:
        data: dict[str, Any] = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown manifest format {data.get('format')!r}")
        encrypted = data.get("encryption") is not None
        if encrypted:
            if master is None:
                raise crypto.DecryptionError("this snapshot is encrypted; a password is needed")
            content = json.loads(crypto.open_bytes(data["sealedContent"], master))
        else:
            content = data["content"]
        return cls(
            id=data["id"],
            repository=data["repository"],
            kind=data["kind"],
            parent=data["parent"],
            created_at=int(data["createdAt"]),
            codec=data["compression"]["codec"],
            level=int(data["compression"]["level"]),
            encrypted=encrypted,
            objects=[StoredObject(**o) for o in data["objects"]],
            content=Content.from_dict(content),
            tool=data.get("tool", ""),
        )


def chain(manifests: dict[str, Manifest], snapshot: str) -> list[Manifest]:
    """The snapshot and its ancestors, oldest (the full) first."""
    ordered: list[Manifest] = []
    current: str | None = snapshot
    while current is not None:
        manifest = manifests.get(current)
        if manifest is None:
            raise MissingManifest(
                f"snapshot {snapshot} is damaged: it depends on {current}, "
                "whose manifest.json is missing",
                snapshot=snapshot,
            )
        ordered.append(manifest)
        current = manifest.parent
    return list(reversed(ordered))
