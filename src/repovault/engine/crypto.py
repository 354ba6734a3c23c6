"""Encryption of snapshot objects: AES-256-GCM in a chunked streaming format.

Key: a master key per repository folder, derived from the plan's password with scrypt
(n=2^15, r=8, p=1: 32 MiB, memory-hard) and a random salt kept in `key.json` beside the
snapshots, with a check value so a wrong password is reported before any data is read.

Object format (docs/snapshot-format.md has the full description):

    header  = b"RVE1" | chunk size (4 bytes, big endian) | salt (16 random bytes)
    key     = HKDF-SHA256(master key, salt=salt, info=b"repovault object v1")
    chunk i = AES-256-GCM(key, nonce = i (11 bytes, big endian) | last (1 byte: 0 or 1),
                          plaintext chunk of `chunk size` bytes (the last may be shorter),
                          associated data = header)

Every chunk is authenticated; the `last` flag in the nonce makes truncation at a chunk
boundary, reordering and appending detectable. An empty object is one empty last chunk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from repovault.engine.errors import EngineError
from repovault.engine.streams import rechunk, split_head

MAGIC = b"RVE1"
HEADER = struct.Struct(">4sI16s")
TAG = 16
CHUNK_SIZE = 1024 * 1024
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
CHECK_LABEL = b"repovault key check v1"


class DecryptionError(EngineError):
    """Wrong password, or stored bytes that were changed: permanent either way."""


@dataclass(frozen=True)
class KeyInfo:
    """What `key.json` holds: how to derive the master key, and how to check it."""

    salt: bytes
    n: int
    r: int
    p: int
    check: bytes

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "version": 1,
                "kdf": "scrypt",
                "salt": base64.b64encode(self.salt).decode(),
                "n": self.n,
                "r": self.r,
                "p": self.p,
                "check": base64.b64encode(self.check).decode(),
            },
            indent=2,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> KeyInfo:
        data: dict[str, Any] = json.loads(raw)
        if data.get("kdf") != "scrypt":
            raise DecryptionError(f"unknown key derivation {data.get('kdf')!r}")
        return cls(
            salt=base64.b64decode(data["salt"]),
            n=int(data["n"]),
            r=int(data["r"]),
            p=int(data["p"]),
            check=base64.b64decode(data["check"]),
        )


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password.encode())


def _check_value(master: bytes) -> bytes:
    return hmac.new(master, CHECK_LABEL, hashlib.sha256).digest()


def new_key(password: str) -> tuple[KeyInfo, bytes]:
    salt = os.urandom(16)
    master = _derive(password, salt, **SCRYPT)
    return KeyInfo(salt=salt, check=_check_value(master), **SCRYPT), master


def open_key(info: KeyInfo, password: str) -> bytes:
    master = _derive(password, info.salt, info.n, info.r, info.p)
    if not hmac.compare_digest(_check_value(master), info.check):
        raise DecryptionError("wrong password for this repository's snapshots")
    return master


def _object_key(master: bytes, salt: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"repovault object v1").derive(
        master
    )
    return AESGCM(key)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def encrypt(
    source: Iterable[bytes], master: bytes, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    salt = os.urandom(16)
    header = HEADER.pack(MAGIC, chunk_size, salt)
    aead = _object_key(master, salt)
    yield header
    pending: bytes | None = None
    index = 0
    for block in rechunk(source, chunk_size):
        if pending is not None:
            yield aead.encrypt(_nonce(index, False), pending, header)
            index += 1
        pending = block
    yield aead.encrypt(_nonce(index, True), pending or b"", header)


def decrypt(source: Iterable[bytes], master: bytes) -> Iterator[bytes]:
    header, rest = split_head(source, HEADER.size)
    if len(header) < HEADER.size:
        raise DecryptionError("the encrypted object is truncated (no header)")
    magic, chunk_size, salt = HEADER.unpack(header)
    if magic != MAGIC or not 0 < chunk_size <= 64 * CHUNK_SIZE:
        raise DecryptionError("not an encrypted repovault object")
    aead = _object_key(master, salt)
    sealed = rechunk(rest, chunk_size + TAG)
    current = next(sealed, None)
    index = 0
    while current is not None:
        following = next(sealed, None)
        last = following is None
        try:
            yield aead.decrypt(_nonce(index, last), current, header)
        except InvalidTag as exc:
            raise DecryptionError(
                f"chunk {index} does not authenticate: wrong password or damaged data"
            ) from exc
        index += 1
        current = following
    if index == 0:
        raise DecryptionError("the encrypted object is truncated (no chunks)")


def seal_bytes(data: bytes, master: bytes) -> str:
    return base64.b64encode(b"".join(encrypt([data], master))).decode()


def open_bytes(sealed: str, master: bytes) -> bytes:
    return b"".join(decrypt([base64.b64decode(sealed)], master))
