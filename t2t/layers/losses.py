"""Token-level losses over padded target sequences."""
from __future__ import annotations

import math

import tensorflow as tf

from t2t.layers.shapes import check_shape


def smoothed_cross_entropy(logits: tf.Tensor, targets: tf.Tensor, label_smoothing: float,
                           pad_id: int = 0) -> tuple[tf.Tensor, tf.Tensor]:
    """Label-smoothed cross entropy summed over the non-padding targets, as in Tensor2Tensor.

    The smoothed target distribution puts `1 - label_smoothing` on the true class and
    `label_smoothing / (vocab - 1)` on each other class. Its own entropy, the minimum achievable
    cross entropy, is subtracted, so a model that predicts the smoothed distribution exactly has
    loss 0 (with label_smoothing=0 this is the plain cross entropy).

    Args:
      logits: float32 [batch, length, vocab].
      targets: int [batch, length]; positions equal to `pad_id` get no loss.
      label_smoothing: in [0, 1).

    Returns:
      (loss_sum, weight_sum): float32 scalars; weight_sum is the number of non-padding targets.
    """
    check_shape(logits, "[batch, length, vocab]", "smoothed_cross_entropy")
    check_shape(targets, "[batch, length]", "smoothed_cross_entropy")
    vocab_size = logits.shape[-1]
    confidence = 1.0 - label_smoothing
    low_confidence = label_smoothing / (vocab_size - 1)
    soft_targets = tf.one_hot(targets, vocab_size, on_value=confidence, off_value=low_confidence)
    cross_entropy = tf.nn.softmax_cross_entropy_with_logits(labels=soft_targets, logits=logits)
    minimum = -confidence * math.log(confidence)
    if low_confidence > 0:
        minimum -= (vocab_size - 1) * low_confidence * math.log(low_confidence)
    weights = tf.cast(tf.not_equal(targets, pad_id), tf.float32)
    return tf.reduce_sum((cross_entropy - minimum) * weights), tf.reduce_sum(weights)
