"""Stable fleet sharding for `check --shard K/N` (SPEC §9)."""

from __future__ import annotations

import hashlib
import re

from intent.errors import UsageError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_MASK64 = (1 << 64) - 1


def parse_shard(text: str) -> tuple[int, int]:
    """(k, n) from "K/N" with 1 <= K <= N; UsageError otherwise."""
    match = _SHARD.match(text or "")
    if not match:
        raise UsageError(f"--shard {text!r}: expected K/N, e.g. 1/4 (shard K of N, counted from 1)")
    k, n = int(match[1]), int(match[2])
    if n < 1 or not 1 <= k <= n:
        raise UsageError(f"--shard {text!r}: K must be between 1 and N, and N at least 1")
    return k, n


def select_shard(cluster_names: list[str], k: int, n: int) -> list[str]:
    """The clusters (in the given order) that belong to shard k of n.

    A cluster's shard depends only on its name and n, never on its position, so adding or
    removing clusters moves no other cluster between shards. The name's sha256 feeds a
    jump consistent hash (Lamping and Veach, 2014, arXiv:1406.2294), so growing n to n+1
    also moves only about 1/(n+1) of the clusters, all into the new shard.
    """
    if n < 1 or not 1 <= k <= n:
        raise UsageError(f"--shard {k}/{n}: K must be between 1 and N, and N at least 1")
    return [name for name in cluster_names if shard_of(name, n) == k]


def shard_of(cluster_name: str, n: int) -> int:
    """The shard (1..n) that `cluster_name` belongs to."""
    key = int.from_bytes(hashlib.sha256(cluster_name.encode()).digest()[:8], "big")
    bucket, jump = -1, 0
    while jump < n:
        bucket = jump
        key = (key * 2862933555777941757 + 1) & _MASK64
        jump = int((bucket + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return bucket + 1
