"""A convolutional front end that turns audio features into a sequence model's encoder inputs.

    features [batch, frames, F]          log-mel features (F = 80, or 240 with deltas), 0-padded
    ─► [batch, frames, 80, F/80]         mel bins × channels (static | delta | delta-delta)
    ─► N × (Conv2D 3×3 stride 2×2 ─► FrameLayerNorm ─► ReLU)    padding frames zeroed after each
    ─► [batch, frames', bins' · channels]                       frames' = ceil(frames / 2^N)
    ─► Dense ─► [batch, frames', d_model]

as in Tensor2Tensor's speech modality (two 3×3 convolutions of stride 2 with 128 channels, layer
norm, ReLU), except that T2T's last (3 × bins') convolution is a per-frame projection here, so that
no output frame depends on the padding after its utterance.

Lengths come from the zero padding (`t2t.layers.sequence.frame_lengths`: 1 + the last frame that is
not all zeros), divided by each stride, rounded up (`strided_lengths`). It is the input encoder of
`t2t.speech.modality.AudioModality`; `num_mel_bins` and `conv_channels` are set by gin
(`AudioFrontEnd.conv_channels = (128, 128)`).
"""
from __future__ import annotations

import math
from typing import Sequence

import gin
import tensorflow as tf

from t2t.layers.conv import Conv2D, FrameLayerNorm
from t2t.layers.core import Dense
from t2t.layers.sequence import frame_lengths, mask_padding, strided_lengths
from t2t.layers.random import SeedStream
from t2t.layers.shapes import check_shape
from t2t.modality import InputEncoder

KERNEL = (3, 3)
STRIDE = 2


@gin.configurable
class AudioFrontEnd(InputEncoder):
    """Strided convolutions over features [batch, frames, F] → [batch, frames', d_model].

    Args:
      feature_size: F, a multiple of num_mel_bins.
      d_model: width of the output frames.
      num_mel_bins: frequency bins per input channel.
      conv_channels: output channels of each convolution; each one halves time and frequency.
    Weights: convolution kernels and norms (axes "conv_time", "conv_freq", "channels_in",
    "channels_out"), projection kernel [bins' · channels, d_model] with axes ("conv_features",
    "d_model").
    """

    def __init__(self, feature_size: int, d_model: int, num_mel_bins: int = 80,
                 conv_channels: Sequence[int] = (128, 128), name: str | None = None):
        super().__init__(name=name)
        if feature_size <= 0 or feature_size % num_mel_bins:
            raise ValueError(f"{self.name}: input feature size {feature_size} is not a positive "
                             f"multiple of num_mel_bins {num_mel_bins}")
        if not conv_channels:
            raise ValueError(f"{self.name}: needs at least one convolution")
        self.feature_size = feature_size
        self.num_mel_bins = num_mel_bins
        self.input_channels = feature_size // num_mel_bins
        channels, bins = self.input_channels, num_mel_bins
        with self.name_scope:
            self.convs, self.norms = [], []
            for index, out_channels in enumerate(conv_channels):
                self.convs.append(Conv2D(channels, out_channels, KERNEL, (STRIDE, STRIDE),
                                         name=f"conv_{index}"))
                self.norms.append(FrameLayerNorm(out_channels, name=f"conv_norm_{index}"))
                channels, bins = out_channels, math.ceil(bins / STRIDE)
            self.projection = Dense("btf,fd->btd", [bins * channels, d_model],
                                    ("conv_features", "d_model"), name="projection")

    def output_length(self, frames: int | tf.Tensor) -> int | tf.Tensor:
        """Frames (int, or int32 tensor of any shape) → output frames ceil(frames / 2^N)."""
        for _ in self.convs:
            frames = strided_lengths(frames, STRIDE)
        return frames

    def __call__(self, features: tf.Tensor, training: bool = False,
                 seeds: SeedStream | None = None) -> tuple[tf.Tensor, tf.Tensor]:
        """features float32 [batch, frames, F] → (x [batch, frames', d_model], padding float32
        [batch, frames']: 1.0 after each utterance's valid output frames, where x is 0)."""
        check_shape(features, "[batch, frames, features]", self.name, features=self.feature_size)
        lengths = frame_lengths(features)
        batch, frames = tf.shape(features)[0], tf.shape(features)[1]
        x = tf.reshape(features, [batch, frames, self.input_channels, self.num_mel_bins])
        x = tf.transpose(x, [0, 1, 3, 2])                     # [batch, frames, mels, channels]
        for conv, norm in zip(self.convs, self.norms):
            lengths = strided_lengths(lengths, STRIDE)
            x = mask_padding(tf.nn.relu(norm(conv(x))), lengths)
        x = tf.reshape(x, [batch, tf.shape(x)[1], x.shape[2] * x.shape[3]])
        x = mask_padding(self.projection(x), lengths)
        return x, 1.0 - tf.sequence_mask(lengths, tf.shape(x)[1], tf.float32)
