"""Retention keeps what the policy asks, always the newest snapshot, and every snapshot a
kept one depends on; pruning deletes the rest from storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repovault.backends.local import LocalBackend
from repovault.engine.backup import BackupOptions, backup
from repovault.engine.manifest import Content, Manifest, chain
from repovault.engine.restore import restore_to_directory
from repovault.engine.retention import Gfs, Option, Policy, prune, select
from repovault.engine.vault import Vault
from repovault.engine.verify import verify
from tests.engine.repos import commit, tricky_repository

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _manifests(kinds: list[str], ages_hours: list[int]) -> dict[str, Manifest]:
    result: dict[str, Manifest] = {}
    last_full: str | None = None
    previous: str | None = None
    for i, (kind, age) in enumerate(zip(kinds, ages_hours, strict=True)):
        if i == 0:
            kind = "full"
        parent = None if kind == "full" else (last_full if kind == "differential" else previous)
        sid = f"s{i:03d}"
        created = int((NOW - timedelta(hours=age)).timestamp() * 1000)
        result[sid] = Manifest(
            sid, "r", kind, parent, created, "none", 1, False, [], Content(None, {}, 0)
        )
        last_full = sid if kind == "full" else last_full
        previous = sid
    return result


histories = st.integers(1, 25).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from(["full", "differential", "incremental"]), min_size=n, max_size=n),
        st.lists(st.integers(0, 24 * 400), min_size=n, max_size=n, unique=True).map(
            lambda ages: sorted(ages, reverse=True)
        ),
    )
)
policies = st.one_of(
    st.builds(Policy, rule=st.just(1)),
    st.builds(
        Policy,
        rule=st.just(2),
        options=st.lists(
            st.builds(Option, number=st.integers(1, 5), type=st.integers(0, 3)), max_size=3
        ).map(tuple),
    ),
    st.builds(
        Policy,
        rule=st.just(3),
        options=st.lists(
            st.builds(
                Option, number=st.integers(1, 30), period=st.integers(0, 4), type=st.integers(0, 3)
            ),
            max_size=3,
        ).map(tuple),
    ),
    st.builds(
        Policy,
        rule=st.just(2),
        gfs=st.builds(
            Gfs, st.integers(0, 7), st.integers(0, 4), st.integers(0, 12), st.integers(0, 2)
        ),
    ),
)


@given(history=histories, policy=policies)
def test_kept_snapshots_are_always_restorable(
    history: tuple[list[str], list[int]], policy: Policy
) -> None:
    manifests = _manifests(*history)
    keep = select(manifests, policy, NOW)
    newest = max(manifests.values(), key=lambda m: m.created_at)
    assert newest.id in keep
    for snapshot in keep:
        assert {m.id for m in chain(manifests, snapshot)} <= keep
    if policy.rule == 1:
        assert keep == set(manifests)


def test_rules_select_what_they_say() -> None:
    kinds = ["full", "incremental", "incremental", "full", "incremental", "differential"]
    manifests = _manifests(kinds, [100, 90, 80, 30, 20, 10])
    newest_two_fulls = select(manifests, Policy(2, (Option(2, type=1),)), NOW)
    # the two fulls, the newest (differential) and its parent (the second full)
    assert newest_two_fulls == {"s000", "s003", "s005"}
    younger_than_a_day = select(manifests, Policy(3, (Option(1, period=1),)), NOW)
    assert younger_than_a_day == {"s003", "s004", "s005"}
    within_two_days_of_increments = select(
        manifests, Policy(3, (Option(4, period=1, type=3),)), NOW
    )
    assert within_two_days_of_increments == {"s000", "s001", "s002", "s003", "s004", "s005"}


def test_prune_deletes_from_storage_and_keeps_restores_working(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    vault = Vault(LocalBackend(tmp_path / "store"), "r/")
    ids = []
    for i in range(5):
        commit(source, f"c{i}", {f"f{i}": b"x" * i})
        kind = "full" if i in (0, 3) else "incremental"
        result = backup(
            url=f"file://{source}",
            vault=vault,
            cache=tmp_path / "cache",
            options=BackupOptions(kind=kind),
        )
        assert result.snapshot is not None
        ids.append(result.snapshot.id)
    result = prune(vault, Policy(2, (Option(1),)))
    assert result.kept == sorted([ids[3], ids[4]])
    assert sorted(result.deleted) == sorted(ids[:3])
    assert sorted(vault.manifests()) == sorted([ids[3], ids[4]])
    leftovers = [
        i.key for i in vault.storage.list("r/snapshots/") if i.key.split("/")[2] in ids[:3]
    ]
    assert leftovers == []
    assert vault.catalog() == {ids[3], ids[4]}
    restore_to_directory(vault, tmp_path / "restored")


class _DiesAfterManifests(LocalBackend):
    """Storage that fails once prune has deleted a manifest, as if the process died."""

    def delete(self, key: str) -> None:
        if not key.endswith("manifest.json") and "/snapshots/" in key:
            raise OSError("killed")
        super().delete(key)


def test_an_interrupted_prune_leaves_no_false_damage(tmp_path: Path) -> None:
    source = tricky_repository(tmp_path / "source")
    vault = Vault(LocalBackend(tmp_path / "store"), "r/")
    for i in range(2):
        commit(source, f"c{i}", {f"f{i}": b"x"})
        backup(
            url=f"file://{source}",
            vault=vault,
            cache=tmp_path / "cache",
            options=BackupOptions(kind="full"),
        )
    dying = Vault(_DiesAfterManifests(tmp_path / "store"), "r/")
    with pytest.raises(OSError, match="killed"):
        prune(dying, Policy(2, (Option(1),)))
    assert verify(vault).ok  # leftovers, not a lost manifest
    commit(source, "after", {"after": b"y"})
    assert backup(url=f"file://{source}", vault=vault, cache=tmp_path / "cache").swept
