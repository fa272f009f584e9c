"""Vocal-tract-length perturbation (Jaitly & Hinton 2013) on the mel axis, stateless and batched.

    warped = frequency_warp(features, seed, max_warp=0.1)

A longer or shorter vocal tract moves every formant by about the same factor. For every utterance
independently a factor α is drawn uniformly from [1 − max_warp, 1 + max_warp], and output bin b
reads the input at source(b), linearly interpolated between neighbouring bins:

    source(b) = b / α                                          for b <= k = 0.8 · (bins − 1)
    source(b) = k / α + (b − k) · (bins − 1 − k / α) / (bins − 1 − k)    above k

so the lower 80 % of the axis is scaled by α (α > 1 moves the formants up) and the top segment is
stretched or squeezed so that the last bin stays the last bin: nothing is read from outside the
axis. Warping mel bins rather than linear frequencies is an approximation (the mel scale is
closer to logarithmic at high frequencies). Padding frames (all 0) stay 0. Models apply this in
training only, before SpecAugment's masks (see `deepspeech2`).
"""
from __future__ import annotations

import tensorflow as tf

from t2t.layers.shapes import check_shape

LINEAR_PART = 0.8  # the share of the axis scaled by α


def frequency_warp(features: tf.Tensor, seed: tf.Tensor, max_warp: float) -> tf.Tensor:
    """Warps features [batch, frames, bins, channels] along bins (seed int64 [2]; max_warp in
    [0, 1)). Returns a tensor of the same shape."""
    check_shape(features, "[batch, frames, bins, channels]", "frequency_warp")
    if not 0.0 <= max_warp < 1.0:
        raise ValueError(f"frequency_warp: max_warp must be in [0, 1), got {max_warp}")
    if max_warp == 0.0:
        return features
    batch, bins = tf.shape(features)[0], tf.shape(features)[2]
    factors = tf.random.stateless_uniform([batch, 1], seed, 1.0 - max_warp, 1.0 + max_warp)
    sources = warp_sources(factors, bins)                                # [batch, bins]
    low = tf.floor(sources)
    weight = (sources - low)[:, None, :, None]                           # [batch, 1, bins, 1]
    low = tf.cast(low, tf.int32)
    high = tf.minimum(low + 1, bins - 1)
    below = tf.gather(features, low, axis=2, batch_dims=1)               # [batch, frames, bins, C]
    above = tf.gather(features, high, axis=2, batch_dims=1)
    return below + weight * (above - below)


def warp_sources(factors: tf.Tensor, bins: tf.Tensor | int) -> tf.Tensor:
    """float32 [batch, bins]: the input position each output bin reads, for factors [batch, 1]
    (see the module docstring)."""
    last = tf.cast(bins, tf.float32) - 1.0
    positions = tf.range(tf.cast(bins, tf.float32))[None, :]             # [1, bins]
    knee = LINEAR_PART * last
    scaled = positions / factors
    top = knee / factors + (positions - knee) * (last - knee / factors) / (last - knee)
    return tf.clip_by_value(tf.where(positions <= knee, scaled, top), 0.0, last)
