"""DeepSpeech2 (Amodei et al. 2016): convolutions over a spectrogram, bidirectional GRUs, CTC.

    inputs [batch, frames, F]           log-mel features (F = 80, or 240 with deltas), 0-padded
    ─► [batch, frames, 80, F/80]        mel bins × channels (static | delta | delta-delta)
    ─► frequency warp, SpecAugment      training only: vocal-tract-length perturbation, masks
    ─► N × (Conv2D ─► FrameLayerNorm ─► clipped ReLU)   strides shrink time and frequency
    ─► [batch, T', freq' · channels]    T' = frames / (product of the time strides), rounded up
    ─► M × (LayerNorm ─► BidirectionalGRU (directions summed) ─► dropout)
    ─► Dense ─► clipped ReLU ─► dropout ─► Dense
    ─► logits [batch, T', target_vocab]   CTC over characters; class 0 (PAD) is the blank

Clipped ReLU is min(max(x, 0), 20), as in the paper. Normalization is layer norm, not the paper's
batch norm: it has no batch statistics, so an utterance gives the same outputs in any batch and with
any padding, on any number of replicas, and in training and inference alike.

Lengths: `features["inputs_length"]` (int32 [batch], frames) when given, else derived from the
zero padding: 1 + the last frame that is not all zeros (`t2t.layers.sequence.frame_lengths`). The
problem's per-utterance normalization makes every real frame non-zero, and an all-zero (silent)
utterance gets length 0 and decodes to nothing. Padding never changes a valid frame's output:
convolutions pad their edges themselves and padding frames are zeroed between layers.

Targets are int32 [batch, target_length]: character ids (≥ 2), then EOS (1), then 0-padding. The
CTC loss, decoding (greedy, beam, LM-fused beam search) and test-time adaptation come from the base
class, `t2t.speech.ctc_model.CtcModel`.
"""
from __future__ import annotations

import math
from typing import Sequence

import gin
import tensorflow as tf

from t2t.layers.conv import Conv2D, FrameLayerNorm
from t2t.layers.core import Dense, LayerNorm, dropout
from t2t.layers.gru import BidirectionalGRU
from t2t.layers.precision import compute_dtype_by_name
from t2t.layers.random import SeedStream
from t2t.layers.sequence import frame_lengths, mask_padding, strided_lengths
from t2t.layers.shapes import check_shape
from t2t.model import ProblemInfo
from t2t.registry import register_model
from t2t.speech.ctc_model import CtcModel
from t2t.speech.frequency_warp import frequency_warp
from t2t.speech.modality import AudioModality
from t2t.speech.spec_augment import spec_augment

CLIP = 20.0


def clipped_relu(x: tf.Tensor) -> tf.Tensor:
    """min(max(x, 0), 20)."""
    return tf.minimum(tf.nn.relu(x), CLIP)


@register_model("deepspeech2")
@gin.configurable("DeepSpeech2")
class DeepSpeech2(CtcModel):
    """Convolutions + bidirectional GRUs + CTC over audio features (see the module docstring).

    Args:
      problem_info: inputs of `AudioModality`, whose feature_size is a multiple of num_mel_bins.
      num_mel_bins: frequency bins per channel of the input features.
      conv_channels: output channels of each convolution (one entry per layer).
      conv_kernels: (time, freq) kernel of each convolution, in frames and bins.
      conv_strides: (time, freq) stride of each convolution.
      num_rnn_layers, rnn_hidden_size: bidirectional GRU layers and their width (per direction).
      fully_connected_size: width of the hidden fully connected layer before the softmax.
      dropout: on the outputs of every GRU layer and of the fully connected layer.
      time_masks, max_time_mask_frames, freq_masks, max_freq_mask_bins: SpecAugment in training
        (counts and maximum widths; 0 masks turn it off).
      max_freq_warp: in training, each utterance's mel axis is warped by a factor drawn from
        [1 − max_freq_warp, 1 + max_freq_warp] (`t2t.speech.frequency_warp`; 0 turns it off).
      compute_dtype: "float32" or "bfloat16": the arithmetic of the convolutions, the GRUs'
        matmuls and the fully connected layer (`t2t.layers.precision`; weights, normalization,
        the output layer and the loss stay float32).
    """

    def __init__(self, problem_info: ProblemInfo, num_mel_bins: int = 80,
                 conv_channels: Sequence[int] = (32, 32),
                 conv_kernels: Sequence[Sequence[int]] = ((11, 41), (11, 21)),
                 conv_strides: Sequence[Sequence[int]] = ((2, 2), (1, 2)),
                 num_rnn_layers: int = 3, rnn_hidden_size: int = 256,
                 fully_connected_size: int = 256, dropout: float = 0.1, time_masks: int = 2,
                 max_time_mask_frames: int = 40, freq_masks: int = 2, max_freq_mask_bins: int = 27,
                 max_freq_warp: float = 0.0, compute_dtype: str = "float32",
                 name: str = "deepspeech2"):
        super().__init__(problem_info, name=name)
        _check_config(problem_info, num_mel_bins, conv_channels, conv_kernels, conv_strides,
                      max_freq_warp)
        layer_dtype = compute_dtype_by_name(compute_dtype, "DeepSpeech2")
        self.num_mel_bins = num_mel_bins
        self.input_channels = problem_info.inputs.feature_size // num_mel_bins
        self.time_strides = [int(stride[0]) for stride in conv_strides]
        self.dropout_rate = dropout
        self.max_freq_warp = max_freq_warp
        self.augment = time_masks + freq_masks > 0 or max_freq_warp > 0
        self.spec_augment_args = dict(time_masks=time_masks, max_time_width=max_time_mask_frames,
                                      freq_masks=freq_masks, max_freq_width=max_freq_mask_bins)
        vocab_size = problem_info.target_vocab_size
        with self.name_scope:
            self.convs, self.conv_norms = [], []
            channels, bins = self.input_channels, num_mel_bins
            for index, (out_channels, kernel, stride) in enumerate(
                    zip(conv_channels, conv_kernels, conv_strides)):
                self.convs.append(Conv2D(channels, out_channels, kernel, stride, layer_dtype,
                                         name=f"conv_{index}"))
                self.conv_norms.append(FrameLayerNorm(out_channels, name=f"conv_norm_{index}"))
                channels, bins = out_channels, math.ceil(bins / stride[1])
            rnn_input_size = channels * bins
            self.rnn_norms, self.rnns = [], []
            for index in range(num_rnn_layers):
                size = rnn_input_size if index == 0 else rnn_hidden_size
                self.rnn_norms.append(LayerNorm(size, name=f"rnn_norm_{index}"))
                self.rnns.append(BidirectionalGRU(size, rnn_hidden_size, layer_dtype,
                                                  name=f"rnn_{index}"))
            self.fully_connected = Dense("btd,df->btf", [rnn_hidden_size, fully_connected_size],
                                         ("d_hidden", "d_ff"), use_bias=True,
                                         compute_dtype=layer_dtype, name="fully_connected")
            self.output_layer = Dense("btf,fv->btv", [fully_connected_size, vocab_size],
                                      ("d_ff", "vocab"), use_bias=True, name="output")

    # -- lengths
    def input_lengths(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        """int32 [batch]: frames of each utterance (see the module docstring)."""
        if "inputs_length" in features:
            return tf.cast(features["inputs_length"], tf.int32)
        return frame_lengths(features["inputs"])

    def output_lengths(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        """int32 [batch]: logit frames of each utterance, after the convolutions' time strides."""
        lengths = self.input_lengths(features)
        for stride in self.time_strides:
            lengths = strided_lengths(lengths, stride)
        return lengths

    # -- the network
    def __call__(self, features: dict[str, tf.Tensor], training: bool,
                 seeds: SeedStream | None = None) -> tf.Tensor:
        """features {"inputs": float32 [batch, frames, F], ...} → logits float32
        [batch, T', target_vocab] (T' = output_lengths' padded size)."""
        inputs = features["inputs"]
        check_shape(inputs, "[batch, frames, features]", self.name,
                    features=self.problem_info.inputs.feature_size)
        lengths = self.input_lengths(features)
        batch, frames = tf.shape(inputs)[0], tf.shape(inputs)[1]
        x = tf.reshape(inputs, [batch, frames, self.input_channels, self.num_mel_bins])
        x = tf.transpose(x, [0, 1, 3, 2])                     # [batch, frames, mels, channels]
        if training and self.augment:
            if seeds is None:
                raise ValueError(f"{self.name}: SpecAugment in training needs `seeds`")
            if self.max_freq_warp:
                x = frequency_warp(x, seeds.next(), self.max_freq_warp)
            x = spec_augment(x, lengths, seeds.next(), **self.spec_augment_args)
        for conv, norm, stride in zip(self.convs, self.conv_norms, self.time_strides):
            lengths = strided_lengths(lengths, stride)
            x = mask_padding(clipped_relu(norm(conv(x))), lengths)
        x = tf.reshape(x, [batch, tf.shape(x)[1], x.shape[2] * x.shape[3]])
        for norm, rnn in zip(self.rnn_norms, self.rnns):
            x = dropout(rnn(norm(x), lengths), self.dropout_rate, training, seeds)
        x = dropout(clipped_relu(self.fully_connected(x)), self.dropout_rate, training, seeds)
        return self.output_layer(x)


def _check_config(problem_info: ProblemInfo, num_mel_bins: int, conv_channels: Sequence[int],
                  conv_kernels: Sequence[Sequence[int]],
                  conv_strides: Sequence[Sequence[int]], max_freq_warp: float) -> None:
    problems = []
    if not isinstance(problem_info.inputs, AudioModality):
        problems.append(f"inputs must be audio features, got {problem_info.inputs}")
    elif problem_info.inputs.feature_size % num_mel_bins:
        problems.append(f"input feature size {problem_info.inputs.feature_size} is not a multiple "
                        f"of num_mel_bins {num_mel_bins}")
    if not len(conv_channels) == len(conv_kernels) == len(conv_strides):
        problems.append(f"conv_channels {conv_channels}, conv_kernels {conv_kernels} and "
                        f"conv_strides {conv_strides} must have one entry per layer")
    if any(len(pair) != 2 for pair in [*conv_kernels, *conv_strides]):
        problems.append("conv kernels and strides are (time, freq) pairs")
    if not 0.0 <= max_freq_warp < 1.0:
        problems.append(f"max_freq_warp must be in [0, 1), got {max_freq_warp}")
    if problems:
        raise ValueError(f"DeepSpeech2: {'; '.join(problems)}")
