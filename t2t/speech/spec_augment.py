"""SpecAugment's time and frequency masks (Park et al. 2019), stateless and batched.

    masked = spec_augment(features, lengths, seed, time_masks=2, max_time_width=40,
                          freq_masks=2, max_freq_width=27)

For every utterance independently:
  * `freq_masks` times: draw a width w uniformly in [0, max_freq_width] and a first bin f in
    [0, bins - w]; set bins [f, f + w) to 0 in every frame and channel;
  * `time_masks` times: draw a width w in [0, min(max_time_width, length)] and a first frame t in
    [0, length - w]; set frames [t, t + w) to 0 in every bin and channel.
Masks fall inside the utterance's `length` frames, never in its padding; 0 is the mean of the
per-utterance normalized features. The masks are a function of `seed` only (stateless ops), so a
step is reproducible. No time warping (the paper found it helped least).

Models apply this in training only (see `deepspeech2`).
"""
from __future__ import annotations

import tensorflow as tf

from t2t.layers.shapes import check_shape


def spec_augment(features: tf.Tensor, lengths: tf.Tensor, seed: tf.Tensor, time_masks: int,
                 max_time_width: int, freq_masks: int, max_freq_width: int) -> tf.Tensor:
    """Masks features [batch, frames, bins, channels] (lengths int32 [batch], seed int64 [2]).

    Returns a tensor of the same shape, with masked entries set to 0.
    """
    check_shape(features, "[batch, frames, bins, channels]", "spec_augment")
    shape = tf.shape(features)
    batch, frames, bins = shape[0], shape[1], shape[2]
    time_seed, freq_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    lengths = tf.cast(lengths, tf.int32)
    in_time_mask = _masked_positions(batch, frames, tf.broadcast_to(lengths, [batch]), time_masks,
                                     max_time_width, time_seed)          # [batch, frames]
    in_freq_mask = _masked_positions(batch, bins, tf.fill([batch], bins), freq_masks,
                                     max_freq_width, freq_seed)          # [batch, bins]
    masked = in_time_mask[:, :, None] | in_freq_mask[:, None, :]         # [batch, frames, bins]
    return tf.where(masked[..., None], tf.zeros_like(features), features)


def _masked_positions(batch: tf.Tensor, size: tf.Tensor, extent: tf.Tensor, num_masks: int,
                      max_width: int, seed: tf.Tensor) -> tf.Tensor:
    """bool [batch, size]: the union of `num_masks` random intervals per row, each of width up to
    min(max_width, extent[row]) and lying inside [0, extent[row])."""
    if num_masks == 0 or max_width == 0:
        return tf.zeros([batch, size], tf.bool)
    width_seed, start_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    extent = tf.cast(extent, tf.float32)[:, None]                        # [batch, 1]
    max_widths = tf.minimum(float(max_width), extent)
    # Uniform integers in [0, max] as floor(u * (max + 1)), u in [0, 1).
    widths = tf.floor(tf.random.stateless_uniform([batch, num_masks], width_seed)
                      * (max_widths + 1.0))
    starts = tf.floor(tf.random.stateless_uniform([batch, num_masks], start_seed)
                      * (extent - widths + 1.0))
    positions = tf.cast(tf.range(size), tf.float32)[None, None, :]       # [1, 1, size]
    inside = (positions >= starts[..., None]) & (positions < (starts + widths)[..., None])
    return tf.reduce_any(inside, axis=1)
