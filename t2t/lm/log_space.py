"""Arithmetic on natural-log probabilities."""
from __future__ import annotations

import math


def log_add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)), without overflow, exact when either is -inf."""
    if a < b:
        a, b = b, a
    if b == -math.inf:
        return a
    return a + math.log1p(math.exp(b - a))
