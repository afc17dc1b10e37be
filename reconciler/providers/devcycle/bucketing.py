"""DevCycle's bucketing arithmetic: the hashes, rollout percentages and distributions its SDKs
use to decide which users a target's rollout lets in and which variation of a split they get.

Ported from the vendor's bucketing library, the one its server SDKs run as WASM
(DevCycleHQ/js-sdks, lib/shared/bucketing-assembly-script/assembly/): `murmurhashV3` in
helpers/murmurhash.ts, `_generateBoundedHashes`, `generateBoundedHash`,
`getCurrentRolloutPercentage` and `_doesUserPassRollout` in bucketing/bucketing.ts, and
`TargetV2.decideTargetVariation` with `sortObjectsByString` in types/targetV2.ts and
helpers/arrayHelpers.ts. The vendor's quirks are kept on purpose: a split is walked in
descending order of the variations' `_id`s; a rollout that has started but reached no stage
stands at its start percentage; a linear stage at the instant its predecessor starts is 0 %.

One place where the source and the shipped WASM differ: bucketing.ts (since 2022) writes a
linear stage's share as `(current + (next - current)) * elapsed`, yet the WASM in
devcycle-python-server-sdk 3.14 interpolates, `current + (next - current) * elapsed`, as the
TypeScript library does (lib/shared/bucketing/src/bucketing.ts, `getCurrentRolloutPercentage`).
The SDK's answer is the truth here (tests/e2e/test_devcycle_evaluation_agrees.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

_mmh3: ModuleType | None
try:  # the C implementation: the same function, about thirty times quicker
    import mmh3 as _mmh3
except ImportError:  # pragma: no cover - mmh3 is a declared dependency
    _mmh3 = None

MAX_HASH_VALUE = 4294967295.0
"""The largest unsigned 32-bit integer: a hash divided by it is a bounded hash in [0, 1]."""
BASE_SEED = 1
"""The seed a target's `_id` is hashed with; that hash seeds the user's hashes."""
_BACKSLASH = 92


def hash_input(key: str) -> bytes:
    """The bytes the vendor's murmurhash reads from a string: one per UTF-16 code unit, and
    `\\` (the first character of its `\\uXXXXX` escape) for every code unit above 127."""
    if key.isascii():
        return key.encode("ascii")
    units = key.encode("utf-16-le")
    return bytes(
        code if code <= 127 else _BACKSLASH
        for code in (units[i] | (units[i + 1] << 8) for i in range(0, len(units), 2))
    )


def murmurhash_v3(key: str, seed: int) -> int:
    """MurmurHash3 (x86, 32 bits) of `key` as the vendor reads it (`hash_input`), unsigned."""
    data = hash_input(key)
    if _mmh3 is not None:
        return int(_mmh3.hash(data, seed & 0xFFFFFFFF, signed=False))
    return murmur3_32(data, seed)


def murmur3_32(data: bytes, seed: int) -> int:
    """MurmurHash3_x86_32 in Python: the fallback, and the reference `murmurhash_v3` is
    checked against."""
    c1, c2, mask = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF
    h1 = seed & mask
    length = len(data)
    tail = length & ~3
    for i in range(0, tail, 4):
        k1 = int.from_bytes(data[i : i + 4], "little")
        k1 = (k1 * c1) & mask
        k1 = ((k1 << 15) | (k1 >> 17)) & mask
        k1 = (k1 * c2) & mask
        h1 ^= k1
        h1 = ((h1 << 13) | (h1 >> 19)) & mask
        h1 = (h1 * 5 + 0xE6546B64) & mask
    k1 = 0
    rest = length & 3
    if rest == 3:
        k1 ^= data[tail + 2] << 16
    if rest >= 2:
        k1 ^= data[tail + 1] << 8
    if rest >= 1:
        k1 ^= data[tail]
        k1 = (k1 * c1) & mask
        k1 = ((k1 << 15) | (k1 >> 17)) & mask
        k1 = (k1 * c2) & mask
        h1 ^= k1
    h1 ^= length
    h1 ^= h1 >> 16
    h1 = (h1 * 0x85EBCA6B) & mask
    h1 ^= h1 >> 13
    h1 = (h1 * 0xC2B2AE35) & mask
    h1 ^= h1 >> 16
    return h1


def target_seed(target_id: str) -> int:
    """The seed of a target's user hashes: its `_id` hashed with the base seed."""
    return murmurhash_v3(target_id, BASE_SEED)


def bucketing_hash(user_id: str, seed: int) -> float:
    """The bounded hash that picks a user's variation in a target's split."""
    return murmurhash_v3(user_id, seed) / MAX_HASH_VALUE


def rollout_hash(user_id: str, seed: int) -> float:
    """The bounded hash that decides whether a target's rollout includes the user."""
    return murmurhash_v3(user_id + "_rollout", seed) / MAX_HASH_VALUE


@dataclass(frozen=True)
class Stage:
    """A rollout stage as the SDK config has it: a fraction (0..1), a time in milliseconds."""

    percentage: float
    at_ms: int
    discrete: bool


def rollout_percentage(
    kind: str, start_ms: int, start_percentage: float, stages: Sequence[Stage], now_ms: int
) -> float:
    """The share (0..1) of a target's audience its rollout includes at `now_ms`
    (`getCurrentRolloutPercentage`, as the shipped WASM computes it)."""
    if kind == "schedule":
        return 1.0 if now_ms >= start_ms else 0.0
    current: Stage | None = None
    following: Stage | None = None
    for stage in stages:
        if stage.at_ms <= now_ms:
            current = stage
        elif following is None:
            following = stage
    if current is None and start_ms < now_ms:
        current = Stage(start_percentage, start_ms, discrete=True)
    if current is None:
        return 0.0
    if following is None or following.discrete:
        return current.percentage
    elapsed = (now_ms - current.at_ms) / (following.at_ms - current.at_ms)
    if elapsed == 0:
        return 0.0
    return current.percentage + (following.percentage - current.percentage) * elapsed


def passes_rollout(percentage: float, hash_value: float) -> bool:
    """`_doesUserPassRollout`: a zero percentage lets no one in, even a user hashed to 0."""
    return percentage != 0 and hash_value <= percentage


def id_order(ids: Sequence[str]) -> list[int]:
    """The positions of a split's entries in the order the SDK walks them: descending by the
    variations' `_id` (UTF-16 code units compared, as `sortObjectsByString` does)."""
    ascending = sorted(range(len(ids)), key=lambda i: ids[i].encode("utf-16-be"))
    return ascending[::-1]  # sorted, then reversed: ties come out in reverse, as there


def cumulative(fractions: Sequence[float]) -> list[float]:
    """Running sums of a split's fractions, added in the order given, as the SDK adds them."""
    total, bounds = 0.0, []
    for fraction in fractions:
        total += fraction
        bounds.append(total)
    return bounds


def pick(bounds: Sequence[float], hash_value: float) -> int | None:
    """`decideTargetVariation`: the first entry whose running sum passes the hash (a hash of
    exactly 1 falls in an entry whose sum is exactly 1); None when the split sums to less than
    the hash, where the SDK raises an error and serves nothing."""
    for index, bound in enumerate(bounds):
        if hash_value >= 0 and (hash_value < bound or (bound == 1 and hash_value == 1)):
            return index
    return None
