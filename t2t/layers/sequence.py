"""Lengths and padding masks of batches of variable-length sequences.

Padded batches hold each sequence in rows [0, length) of the time axis (axis 1) and zeros after it.
"""
from __future__ import annotations

import tensorflow as tf

from t2t.layers.shapes import check_shape


def frame_lengths(frames: tf.Tensor) -> tf.Tensor:
    """Lengths of zero-padded float frames [batch, time, features] → int32 [batch].

    A sequence's length is 1 + the index of its last frame that is not all zeros (0 when every frame
    is zero), so all-zero frames *inside* a sequence (e.g. masks) do not shorten it.
    """
    check_shape(frames, "[batch, time, features]", "frame_lengths")
    nonzero = tf.reduce_any(tf.not_equal(frames, 0.0), axis=-1)              # [batch, time]
    positions = tf.range(1, tf.shape(frames)[1] + 1)[None, :]              # 1-based
    return tf.reduce_max(tf.where(nonzero, positions, 0), axis=1)


def strided_lengths(lengths: tf.Tensor, stride: int) -> tf.Tensor:
    """Lengths after a layer that keeps every `stride`-th step, starting at step 0: ceil(l / s)."""
    return (lengths + stride - 1) // stride


def mask_padding(x: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
    """Sets steps t >= lengths[b] of x [batch, time, ...] to 0."""
    valid = tf.sequence_mask(lengths, tf.shape(x)[1])                      # [batch, time]
    valid = tf.reshape(valid, tf.concat([tf.shape(valid), tf.ones([x.shape.rank - 2], tf.int32)],
                                        axis=0))                           # [batch, time, 1...]
    return tf.where(valid, x, tf.zeros_like(x))
