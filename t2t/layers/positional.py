"""Sinusoidal position encodings (Vaswani et al. 2017), laid out as in Tensor2Tensor.

For position p and timescale i of `channels // 2` geometrically spaced timescales between
`min_timescale` and `max_timescale`, channel i is sin(p / timescale_i) and channel
`channels // 2 + i` is cos(p / timescale_i) (sines first, then cosines; not interleaved).
"""
from __future__ import annotations

import math

import tensorflow as tf

from t2t.layers.shapes import check_shape, dim


def timing_signal(positions: tf.Tensor, channels: int, min_timescale: float = 1.0,
                  max_timescale: float = 1.0e4) -> tf.Tensor:
    """positions int or float [length] -> float32 [length, channels]."""
    if channels % 2:
        raise ValueError(f"timing_signal: channels must be even, got {channels}")
    num_timescales = channels // 2
    log_increment = math.log(max_timescale / min_timescale) / max(num_timescales - 1, 1)
    inverse_timescales = min_timescale * tf.exp(
        tf.range(num_timescales, dtype=tf.float32) * -log_increment)
    scaled_time = tf.cast(positions, tf.float32)[:, None] * inverse_timescales[None, :]
    return tf.concat([tf.sin(scaled_time), tf.cos(scaled_time)], axis=1)


def add_timing_signal(x: tf.Tensor, start: int | tf.Tensor = 0) -> tf.Tensor:
    """x [batch, length, channels] + the signal of positions start, start+1, ... (same shape).

    `start` lets a decoder that runs one position at a time add the signal of that position.
    """
    check_shape(x, "[batch, length, channels]", "add_timing_signal")
    positions = tf.range(dim(x, 1)) + start
    return x + timing_signal(positions, x.shape[-1])[None]
