"""Secrets at rest: sealed values open only with the same server key, tampering detected."""

from __future__ import annotations

import pytest

from repovault.common.secrets import SecretBox


def test_round_trip_and_fresh_nonce() -> None:
    box = SecretBox(b"server-key")
    first, second = box.seal("token"), box.seal("token")
    assert first != second
    assert box.open(first) == box.open(second) == "token"
    assert "token" not in first


def test_other_key_or_flipped_byte_is_refused() -> None:
    sealed = SecretBox(b"server-key").seal("token")
    with pytest.raises(ValueError, match="does not open"):
        SecretBox(b"another-key").open(sealed)
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(ValueError, match="does not open"):
        SecretBox(b"server-key").open(flipped)
    with pytest.raises(ValueError, match="not a sealed secret"):
        SecretBox(b"server-key").open("plain")
