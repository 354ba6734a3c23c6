"""A repository's folder in a storage: its key, its snapshots, their objects.

Writing an object streams it through the codec and the cipher and records its size and
SHA-256; reading one streams it back and checks both, so damaged bytes are reported, never
handed to git.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import structlog

from repovault.backends.base import Backend
from repovault.engine import codecs, crypto
from repovault.engine.errors import (
    AuthenticationFailed,
    ChecksumMismatch,
    CorruptObject,
    MissingObject,
)
from repovault.engine.errors import DamagedSnapshot as DamagedSnapshot
from repovault.engine.layout import (
    MANIFEST_FILE,
    catalog_key,
    key_file,
    manifest_key,
    object_key,
    snapshot_prefix,
    snapshots_prefix,
)
from repovault.engine.manifest import Manifest, StoredObject
from repovault.engine.streams import Digest, IterReader, chunks

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Compression:
    codec: codecs.Codec = codecs.Codec.ZSTD
    level: int = 2


class Vault:
    def __init__(self, storage: Backend, prefix: str, password: str | None = None) -> None:
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.storage = storage
        self.prefix = prefix
        self.password = password
        self._master: bytes | None = None
        self._key_info: crypto.KeyInfo | None = None
        self._key_checked = False

    @property
    def key_key(self) -> str:
        return key_file(self.prefix)

    def master_key(self, *, create: bool) -> bytes | None:
        """The folder's master key (None when unencrypted); created on first need."""
        if not self._key_checked:
            try:
                with self.storage.get(self.key_key) as stream:
                    self._key_info = crypto.KeyInfo.from_json(stream.read())
            except FileNotFoundError:
                self._key_info = None
            self._key_checked = True
        if self._master is None and self._key_info is not None:
            if self.password is None:
                raise crypto.DecryptionError(
                    f"the snapshots in {self.prefix} are encrypted; a password is needed"
                )
            self._master = crypto.open_key(self._key_info, self.password)
        if self._master is None and self.password is not None and create:
            self._key_info, self._master = crypto.new_key(self.password)
            self.storage.put(self.key_key, io.BytesIO(self._key_info.to_json()))
        return self._master

    # Snapshots --------------------------------------------------------------------------

    def snapshot_ids(self) -> tuple[set[str], set[str]]:
        """(ids with a manifest, ids with objects but no manifest)."""
        complete: set[str] = set()
        seen: set[str] = set()
        base = snapshots_prefix(self.prefix)
        for info in self.storage.list(base):
            snapshot, _, name = info.key[len(base) :].partition("/")
            seen.add(snapshot)
            if name == MANIFEST_FILE:
                complete.add(snapshot)
        return complete, seen - complete

    def manifests(self) -> dict[str, Manifest]:
        complete, _ = self.snapshot_ids()
        result = {}
        for snapshot in sorted(complete):
            manifest = self.manifest(snapshot)
            if manifest is not None:  # else deleted since the listing (retention)
                result[snapshot] = manifest
        return result

    def manifest(self, snapshot: str) -> Manifest | None:
        """One snapshot's manifest, or None when it has none (no such snapshot)."""
        try:
            with self.storage.get(manifest_key(self.prefix, snapshot)) as stream:
                raw = stream.read()
        except FileNotFoundError:
            return None
        master = self.master_key(create=False)
        try:
            return Manifest.from_json(raw, master)
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptObject(
                f"snapshot {snapshot}: manifest.json cannot be read: {exc}"
            ) from exc

    def lost(self, manifests: dict[str, Manifest]) -> set[str]:
        """Snapshots completed once (in the catalog) whose manifest is gone: damage."""
        return self.catalog() - set(manifests)

    def sweep(self) -> list[str]:
        """Delete what interrupted backups left (objects of snapshots never completed).
        Call only while holding the folder's lock. Objects of a catalogued snapshot whose
        manifest was lost are damage, kept for `verify` to report.

        Without `catalog.json` (deleted), only snapshots newer than the newest complete one
        are swept: each backup sweeps before it writes, so an older one is damage."""
        complete, partial = self.snapshot_ids()
        catalog = self.read_catalog()
        if catalog is None:
            newest = max(complete, default="")
            doomed = {snapshot for snapshot in partial if snapshot > newest}
        else:
            doomed = partial - catalog
        for snapshot in sorted(doomed):
            self.delete_snapshot(snapshot, manifest_first=False)
            log.info("partial snapshot swept", prefix=self.prefix, snapshot=snapshot)
        return sorted(doomed)

    def repair_catalog(self) -> str | None:
        """Rebuild a deleted `catalog.json` from the manifests; says so when it did. Call
        only while holding the folder's lock."""
        if self.read_catalog() is not None:
            return None
        complete, _ = self.snapshot_ids()
        if not complete:
            return None
        self.write_catalog(complete)
        note = f"catalog.json was missing: rebuilt from the {len(complete)} manifest(s)"
        log.warning("catalog rebuilt", prefix=self.prefix, snapshots=len(complete))
        return note

    def delete_snapshot(self, snapshot: str, *, manifest_first: bool = True) -> None:
        """Delete a snapshot. It leaves the catalog first, so that an interruption leaves
        leftovers for the next sweep rather than a "lost" manifest; then the manifest goes,
        so the snapshot disappears at once; then its objects."""
        catalog = self.catalog()
        if snapshot in catalog:
            self.write_catalog(catalog - {snapshot})
        if manifest_first:
            self.storage.delete(manifest_key(self.prefix, snapshot))
        for info in list(self.storage.list(snapshot_prefix(self.prefix, snapshot))):
            self.storage.delete(info.key)

    def write_manifest(self, manifest: Manifest) -> None:
        master = self.master_key(create=manifest.encrypted)
        body = manifest.to_json(master)
        self.storage.put(manifest_key(self.prefix, manifest.id), io.BytesIO(body))
        catalog = self.read_catalog()
        if catalog is None:  # none yet, or deleted: every manifest there is belongs in it
            catalog = self.snapshot_ids()[0]
        self.write_catalog(catalog | {manifest.id})

    @property
    def catalog_key(self) -> str:
        return catalog_key(self.prefix)

    def catalog(self) -> set[str]:
        """Ids of every snapshot completed here: one whose manifest is gone was damaged,
        unlike the leftovers of an interrupted backup, which were never catalogued."""
        return self.read_catalog() or set()

    def read_catalog(self) -> set[str] | None:
        """The catalog, or None when `catalog.json` does not exist."""
        try:
            with self.storage.get(self.catalog_key) as stream:
                return set(json.loads(stream.read())["snapshots"])
        except FileNotFoundError:
            return None

    def write_catalog(self, ids: set[str]) -> None:
        body = json.dumps({"snapshots": sorted(ids)}, indent=1).encode()
        self.storage.put(self.catalog_key, io.BytesIO(body))

    # Objects ----------------------------------------------------------------------------

    def put_object(
        self, snapshot: str, name: str, source: Iterable[bytes], compression: Compression
    ) -> StoredObject:
        master = self.master_key(create=True)
        raw = Digest(source, hashed=False)
        stage: Iterable[bytes] = codecs.compress(raw, compression.codec, compression.level)
        if master is not None:
            stage = crypto.encrypt(stage, master)
        stored = Digest(stage)
        key = object_key(self.prefix, snapshot, name)
        self.storage.put(key, IterReader(stored))
        return StoredObject(name, key, stored.size, stored.hexdigest, raw.size)

    def read_object(self, manifest: Manifest, stored: StoredObject) -> Iterator[bytes]:
        """The object's original bytes, checked against the manifest as they stream."""
        label = f"snapshot {manifest.id}: {stored.name}"
        try:
            source = self.storage.get(stored.key)
        except FileNotFoundError as exc:
            raise MissingObject(f"{label} is missing ({stored.key})") from exc
        digest = Digest(chunks(source))
        stage: Iterable[bytes] = digest
        if manifest.encrypted:
            master = self.master_key(create=False)
            assert master is not None
            stage = crypto.decrypt(stage, master)
        try:
            yield from codecs.decompress(stage, codecs.by_name(manifest.codec))
            for _ in digest:  # drain anything the decoders left unread
                pass
        except (crypto.DecryptionError, codecs.CorruptData) as exc:
            for _ in digest:  # the whole object, to tell altered bytes from bad encoding
                pass
            if digest.size != stored.size or digest.hexdigest != stored.sha256:
                raise self._mismatch(label, stored, digest) from exc
            if isinstance(exc, crypto.DecryptionError):
                raise AuthenticationFailed(f"{label} does not authenticate: {exc}") from exc
            raise CorruptObject(f"{label} does not decode: {exc}") from exc
        finally:
            source.close()
        if digest.size != stored.size or digest.hexdigest != stored.sha256:
            raise self._mismatch(label, stored, digest)

    @staticmethod
    def _mismatch(label: str, stored: StoredObject, digest: Digest) -> ChecksumMismatch:
        return ChecksumMismatch(
            f"{label} does not match its manifest "
            f"({digest.size} bytes, expected {stored.size}; checksum "
            f"{'differs' if digest.hexdigest != stored.sha256 else 'matches'}; {stored.key})"
        )
