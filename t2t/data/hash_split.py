"""The one way problems assign an example to train, dev or test: a stable hash of a key.

Since the split depends on the key alone (a sentence, a digit sequence), the same key never spans
two splits, and every machine assigns it alike, without bookkeeping:

    split_of = HashSplit([("dev", 0.05), ("test", 0.05)], rest="train")
    split_of("a sentence")                      # "dev", "test" or "train"

A key's position is the first 8 bytes of its SHA-256, as an integer n < 2**64. Splits take
consecutive ranges of positions, in the order given, each its fraction of them; `rest` takes what
is left. With `buckets` = K the position is n mod K instead, so fractions are whole K-ths (the
speech and algorithmic problems use K = 100, percentiles); without, it is n / 2**64.
"""
from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence


class HashSplit:
    """Maps keys to split names by a stable hash (see the module docstring).

    Args:
      shares: (split, fraction) pairs laid out from position 0 on; fractions add up to at most 1.
      rest: the split of every position after the shares.
      buckets: 0 for continuous positions, else K > 0 for n mod K (fractions in whole K-ths).
    """

    def __init__(self, shares: Sequence[tuple[str, float]], rest: str, buckets: int = 0):
        fractions = [fraction for _, fraction in shares]
        if any(fraction < 0 for fraction in fractions) or sum(fractions) > 1:
            raise ValueError(f"HashSplit: fractions {fractions} must be >= 0 and add up to at "
                             f"most 1")
        if buckets < 0:
            raise ValueError(f"HashSplit: buckets={buckets} must be >= 0")
        self.buckets = buckets
        self.rest = rest
        self.names = [name for name, _ in shares]
        ends = list(itertools.accumulate(fractions))
        self.ends = [round(end * buckets) for end in ends] if buckets else ends

    def __call__(self, key: str) -> str:
        """The split of `key`."""
        n = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
        position = n % self.buckets if self.buckets else n / 2 ** 64
        for name, end in zip(self.names, self.ends):
            if position < end:
                return name
        return self.rest
