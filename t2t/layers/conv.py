"""2-D convolution over spectrograms [batch, time, freq, channels], and a per-frame layer norm.

Both keep every frame independent of how much padding follows the sequence: the convolution adds
k // 2 zeros before and (k − 1) // 2 after each axis itself and then runs a VALID convolution, so
output frame t always sees input frames [t·stride − k//2, t·stride + (k−1)//2], whatever the padded
length of the batch (TF's "SAME" padding would shift that window with the parity of the padded
length). Callers zero the
padding frames between layers (`t2t.layers.sequence.mask_padding`).
"""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from t2t.layers import precision, weights
from t2t.layers.shapes import check_shape


class Conv2D(tf.Module):
    """A bias-free 2-D convolution over [batch, time, freq, channels_in].

    Args:
      in_channels, out_channels: channels of the input and the output.
      kernel_size: (time, freq) extent of the kernel, in frames and bins; odd sizes center it.
      strides: (time, freq) steps; a time stride s keeps output frames ceil(length / s).
      compute_dtype: dtype of the convolution's arithmetic (`t2t.layers.precision`); the kernel
        is float32 and the output has the input's dtype.
    Weights: kernel [time, freq, in, out], axes ("conv_time", "conv_freq", "channels_in",
    "channels_out"), Glorot uniform.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Sequence[int],
                 strides: Sequence[int], compute_dtype: tf.DType = tf.float32,
                 name: str | None = None):
        super().__init__(name=name)
        self.compute_dtype = precision.check_compute_dtype(compute_dtype, self.name)
        self.in_channels = in_channels
        self.kernel_size = tuple(kernel_size)
        self.strides = tuple(strides)
        time, freq = self.kernel_size
        with self.name_scope:
            self.kernel = weights.create_weight(
                "kernel", [time, freq, in_channels, out_channels],
                ("conv_time", "conv_freq", "channels_in", "channels_out"),
                weights.glorot_uniform(time * freq * in_channels, time * freq * out_channels))

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        """x [batch, time, freq, in] → [batch, ceil(time / s_t), ceil(freq / s_f), out]."""
        check_shape(x, "[batch, time, freq, channels_in]", self.name,
                    channels_in=self.in_channels)
        time, freq = self.kernel_size
        # k//2 zeros before and (k-1)//2 after: VALID then yields ceil(n / stride) outputs.
        padding = [[0, 0], [time // 2, (time - 1) // 2], [freq // 2, (freq - 1) // 2], [0, 0]]
        padded = tf.pad(tf.cast(x, self.compute_dtype), padding)
        y = tf.nn.conv2d(padded, tf.cast(self.kernel, self.compute_dtype),
                         strides=[1, *self.strides, 1], padding="VALID")
        return tf.cast(y, x.dtype)


class FrameLayerNorm(tf.Module):
    """Layer norm of each frame of x [batch, time, freq, channels] over its (freq, channels)
    values, then a per-channel scale and shift (weights [channels], axis "channels_out").

    Unlike batch norm, it has no batch statistics: the same frame normalizes the same way in any
    batch, on any number of replicas, in training and in inference.
    """

    def __init__(self, channels: int, epsilon: float = 1e-6, name: str | None = None):
        super().__init__(name=name)
        self.channels = channels
        self.epsilon = epsilon
        with self.name_scope:
            self.scale = weights.create_weight("scale", [channels], ("channels_out",),
                                               weights.ones())
            self.bias = weights.create_weight("bias", [channels], ("channels_out",),
                                              weights.zeros())

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        check_shape(x, "[batch, time, freq, channels]", self.name, channels=self.channels)
        mean, variance = tf.nn.moments(x, axes=[2, 3], keepdims=True)
        return (x - mean) * tf.math.rsqrt(variance + self.epsilon) * self.scale + self.bias
