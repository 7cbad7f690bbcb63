"""Keyed pseudo-randomness: the only source of chance in the synthetic population.

Everything about a citizen is a pure function of the seed and a few small integers, so nothing is
stored per citizen. :func:`mix` is the SplitMix64 finaliser (a fast 64-bit avalanche hash);
:class:`Stream` draws successive values from one keyed starting point; :class:`FeistelPermutation`
is a keyed bijection on ``[0, size)`` (a balanced Feistel network with cycle walking), used to turn
dense indexes into random-looking id digits and back in O(1).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

__all__ = ["FeistelPermutation", "Stream", "key_of", "mix"]

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_UNIT = 1.0 / (1 << 53)


def mix(value: int) -> int:
    """SplitMix64's finaliser: a bijective avalanche of a 64-bit integer."""
    value &= _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def key_of(*parts: int) -> int:
    """Fold integers into one 64-bit key; different part lists give unrelated keys."""
    key = 0x243F6A8885A308D3
    for part in parts:
        key = mix(key + _GOLDEN + (part & _MASK64))
    return key


class Stream:
    """Successive pseudo-random draws from one key (a counter-mode SplitMix64)."""

    __slots__ = ("_counter", "_key")

    def __init__(self, key: int) -> None:
        self._key = key
        self._counter = 0

    def bits(self) -> int:
        """The next 64 random bits (``mix`` inlined: this is the population's hottest line)."""
        self._counter += 1
        value = (self._key + self._counter * _GOLDEN) & _MASK64
        value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
        return value ^ (value >> 31)

    def below(self, bound: int) -> int:
        """An integer in ``[0, bound)`` (bias below 2**-40 for the small bounds used here)."""
        return self.bits() % bound

    def between(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""
        return low + self.below(high - low + 1)

    def unit(self) -> float:
        """A float in ``[0, 1)``."""
        return (self.bits() >> 11) * _UNIT

    def chance(self, probability: float) -> bool:
        return self.unit() < probability

    def pick(self, cumulative: Sequence[float]) -> int:
        """Index drawn from a cumulative weight table whose last entry is the total."""
        return bisect_right(cumulative, self.unit() * cumulative[-1])


class FeistelPermutation:
    """A keyed bijection on ``[0, size)``; ``forward`` and ``inverse`` cost O(1) on average.

    A 4-round balanced Feistel network permutes ``[0, 4**half_bits)``; values that land outside
    ``[0, size)`` are permuted again (cycle walking), which keeps the map a bijection on the range.
    """

    __slots__ = ("_half", "_mask", "_round_keys", "size")

    def __init__(self, size: int, key: int) -> None:
        half_bits = max(1, ((size - 1).bit_length() + 1) // 2)
        self.size = size
        self._half = half_bits
        self._mask = (1 << half_bits) - 1
        self._round_keys = tuple(key_of(key, number) for number in range(4))

    def _encrypt(self, value: int) -> int:
        left, right = value >> self._half, value & self._mask
        for round_key in self._round_keys:
            left, right = right, left ^ (mix(round_key + right) & self._mask)
        return (left << self._half) | right

    def _decrypt(self, value: int) -> int:
        left, right = value >> self._half, value & self._mask
        for round_key in reversed(self._round_keys):
            left, right = right ^ (mix(round_key + left) & self._mask), left
        return (left << self._half) | right

    def forward(self, value: int) -> int:
        value = self._encrypt(value)
        while value >= self.size:
            value = self._encrypt(value)
        return value

    def inverse(self, value: int) -> int:
        value = self._decrypt(value)
        while value >= self.size:
            value = self._decrypt(value)
        return value
