"""Deterministic randomness for dropout and sampling: stateless ops fed by a stream of seeds.

A `SeedStream` is made once per step from `[random_seed, step]` (and, under data parallelism, the
replica id), and every random op asks it for a fresh seed. Seeds are derived in trace order, so the
same code with the same `--random_seed` draws the same numbers on every run.
"""
from __future__ import annotations

import tensorflow as tf


class SeedStream:
    """Hands out distinct stateless seeds derived from one base seed.

    Args:
      seed: int32/int64 tensor of shape [2], e.g. `tf.stack([random_seed, step])`.
    """

    def __init__(self, seed: tf.Tensor):
        self._seed = tf.cast(tf.convert_to_tensor(seed), tf.int64)
        tf.debugging.assert_equal(tf.shape(self._seed), [2], message="SeedStream wants a [2] seed")
        self._count = 0

    def next(self) -> tf.Tensor:
        """Returns a new int64 seed of shape [2]."""
        self._count += 1
        return tf.random.experimental.stateless_fold_in(self._seed, self._count)

    def fold_in(self, data: int | tf.Tensor) -> "SeedStream":
        """A new independent stream, e.g. one per replica: `stream.fold_in(replica_id)`."""
        return SeedStream(tf.random.experimental.stateless_fold_in(self._seed, data))
