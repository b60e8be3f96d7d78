"""--shard K/N: parsing, covering the fleet exactly once, and stability as the fleet grows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intent.errors import UsageError
from intent.check.shard import parse_shard, select_shard, shard_of

NAMES = [f"prod-{region}-{i:03d}" for region in ("use1", "euw1", "weu", "apse2") for i in range(250)]
cluster_names = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True), unique=True, max_size=60)


@pytest.mark.parametrize("text, expected", [("1/1", (1, 1)), ("3/4", (3, 4)), (" 2 / 10 ", (2, 10))])
def test_parse_shard_valid_returns_k_n(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["", "0/4", "5/4", "1/0", "1", "a/b", "-1/4", "1/4/2", "1.5/4"])
def test_parse_shard_invalid_raises_usage_error(text):
    with pytest.raises(UsageError, match="--shard"):
        parse_shard(text)


def test_select_shard_rejects_k_outside_1_to_n():
    with pytest.raises(UsageError):
        select_shard(["a"], 0, 3)
    with pytest.raises(UsageError):
        select_shard(["a"], 4, 3)


def test_select_shard_partitions_fleet_and_keeps_input_order():
    n = 7
    shards = [select_shard(NAMES, k, n) for k in range(1, n + 1)]
    assert sorted(name for shard in shards for name in shard) == sorted(NAMES)
    for shard in shards:
        assert shard == [name for name in NAMES if name in set(shard)]
        # a hash spreads 1000 clusters roughly evenly: no shard empty or holding double its share
        assert 0 < len(shard) < 2 * len(NAMES) / n


def test_select_shard_not_positional_depends_on_name_only():
    assert select_shard(NAMES, 2, 5) == [n for n in select_shard(list(reversed(NAMES)), 2, 5)][::-1]
    # Pinned: a cluster's shard must not change between runs, processes or releases (every CI
    # matrix job computes it on its own), so it is a function of the name alone, not of hash().
    assert [shard_of(name, 5) for name in NAMES[:8]] == [3, 5, 5, 3, 3, 2, 2, 2]


@settings(max_examples=60, deadline=None)
@given(existing=cluster_names, added=cluster_names, n=st.integers(1, 12))
def test_select_shard_adding_clusters_never_moves_existing_ones(existing, added, n):
    grown = existing + [name for name in added if name not in existing]
    for k in range(1, n + 1):
        before = set(select_shard(existing, k, n))
        after = set(select_shard(grown, k, n))
        assert before == after & set(existing)


def test_select_shard_growing_n_moves_clusters_only_into_the_new_shard():
    for n in range(1, 12):
        moved = [name for name in NAMES if shard_of(name, n) != shard_of(name, n + 1)]
        assert all(shard_of(name, n + 1) == n + 1 for name in moved)
        assert len(moved) < 2 * len(NAMES) / (n + 1)
