"""Modified Kneser–Ney (Chen & Goodman 1998) for the n-gram LMs: the counts it reads and its
discounts, for contexts of characters (strings, `t2t.lm.char_lm`) or of words (tuples, `t2t.lm.word_lm`).

Interpolated modified Kneser–Ney subtracts a discount D(n) from each count n, D1, D2 or D3 for
counts 1, 2, ≥ 3, and gives the subtracted mass to the shorter context h':

    p(s | h) = max(n(h, s) − D(n(h, s)), 0) / n(h) + (Σ_s' D(n(h, s'))) / n(h) · p(s | h')

At the full order n(h, s) is the count of h followed by s; at every shorter order it is the number
of distinct symbols seen before h s (how many contexts s continues, not how often), except for
contexts that begin with START, whose only left neighbour is START, which keep their counts. The
discounts of each order come from its counts of counts N1..N4: Y = N1 / (N1 + 2 N2), D1 = 1 − 2 Y
N2 / N1, D2 = 2 − 3 Y N3 / N2, D3 = 3 − 4 Y N4 / N3; an order with too few n-grams for that (some
Nk = 0) uses 0.5 for every count.
"""
from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import TypeVar

SMOOTHINGS = ("witten_bell", "kneser_ney")
# Discounts are kept at least this large, so that every context leaves some probability to the
# symbols it was never followed by.
_MIN_DISCOUNT = 0.05

Context = TypeVar("Context", bound=Sequence)


def kneser_ney_counts(followers: dict[Context, dict[str, int]], order: int,
                      start: Context) -> dict[Context, dict[str, int]]:
    """The counts Kneser–Ney reads after each context, from `followers` (every context of 0..order
    − 1 symbols → {next symbol: count}): those counts for full-order contexts and contexts that
    begin with `start` (a one-symbol context: "\\x02", or ("<s>",)), elsewhere for each symbol the
    number of distinct symbols seen before context + symbol (its continuation count)."""
    continuations: dict[Context, collections.Counter] = collections.defaultdict(
        collections.Counter)
    for context, symbols in followers.items():
        if context:
            continuations[context[1:]].update(symbols.keys())
    return {context: dict(symbols) if len(context) == order - 1 or context[:1] == start
            else dict(continuations[context])
            for context, symbols in followers.items()}


def kneser_ney_discounts(counts: dict[Sequence, dict[str, int]]) -> dict[int, tuple[float, ...]]:
    """{context length: (D1, D2, D3)}: the discounts of each order from the counts of counts of the
    `kneser_ney_counts` after its contexts (see the module docstring), each kept within
    [_MIN_DISCOUNT, the count it is for]."""
    counts_of_counts: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    for context, symbols in counts.items():
        counts_of_counts[len(context)].update(symbols.values())
    discounts = {}
    for length, of_counts in counts_of_counts.items():
        n1, n2, n3, n4 = (of_counts[count] for count in (1, 2, 3, 4))
        if not (n1 and n2 and n3 and n4):
            discounts[length] = (0.5, 0.5, 0.5)
            continue
        y = n1 / (n1 + 2 * n2)
        estimates = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
        discounts[length] = tuple(min(max(estimate, _MIN_DISCOUNT), count)
                                  for count, estimate in enumerate(estimates, 1))
    return discounts


def discount(discounts: tuple[float, ...], count: int) -> float:
    """The discount of a count: D1, D2 or D3 of `discounts` for 1, 2, ≥ 3; 0 for 0."""
    return discounts[min(count, 3) - 1] if count else 0.0
