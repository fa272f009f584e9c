"""Log-mel features of 16 kHz mono audio, in pure TensorFlow (runs inside a `tf.data` map).

    features = log_mel_features(samples)                       # [samples] → [frames, 80]
    features = log_mel_features(samples, deltas=True)          # [samples] → [frames, 240]

Steps (Kaldi/ESPnet-like choices):
  1. frames of 25 ms (400 samples) every 10 ms (160 samples), Hann window, 512-point FFT; only whole
     windows are used, so `frames = 1 + (samples - 400) // 160` (audio shorter than 25 ms is padded
     with zeros to one window: 1 frame);
  2. power spectrum → 80 triangular mel filters from 20 Hz to 8000 Hz → natural log (+1e-6);
  3. optionally deltas and delta-deltas (regression over ±2 frames, edges repeated), concatenated
     as [static | delta | delta-delta] along the last axis, so [frames, 3, 80] by reshape;
  4. per-utterance mean/variance normalization: each feature is shifted and scaled to mean 0 and
     standard deviation 1 over the utterance's frames.

Silence: a feature that is constant over the utterance (variance below 1e-6) is set to 0, so an
all-zero waveform gives all-zero features. Any other utterance has no all-zero frame, so models can
tell padding (zero frames) from speech.
"""
from __future__ import annotations

import tensorflow as tf

SAMPLE_RATE = 16_000      # Hz
WINDOW_SAMPLES = 400      # 25 ms
HOP_SAMPLES = 160         # 10 ms
FFT_LENGTH = 512
NUM_MEL_BINS = 80
LOWER_EDGE_HZ = 20.0
UPPER_EDGE_HZ = 8000.0
LOG_OFFSET = 1e-6
DELTA_WINDOW = 2          # frames on each side
CONSTANT_VARIANCE = 1e-6  # a feature varying less than this is constant


def num_frames(num_samples: int) -> int:
    """Frames of `num_samples` samples: 1 + (num_samples - 400) // 160, and 1 if under 25 ms."""
    return 1 + max(num_samples - WINDOW_SAMPLES, 0) // HOP_SAMPLES


def feature_size(deltas: bool) -> int:
    """80 log-mel bins, or 240 with deltas and delta-deltas."""
    return NUM_MEL_BINS * (3 if deltas else 1)


def log_mel_features(samples: tf.Tensor, deltas: bool = False) -> tf.Tensor:
    """float32 samples [samples] in [-1, 1] at 16 kHz → normalized features [frames, 80 or 240]."""
    samples = tf.convert_to_tensor(samples, tf.float32)
    samples.shape.assert_has_rank(1)
    features = log_mel_spectrogram(samples)
    if deltas:
        delta = time_derivative(features)
        features = tf.concat([features, delta, time_derivative(delta)], axis=-1)
    return normalize_per_utterance(features)


def log_mel_spectrogram(samples: tf.Tensor) -> tf.Tensor:
    """float32 samples [samples] at 16 kHz → log mel power [frames, 80] (not normalized)."""
    too_short = tf.maximum(WINDOW_SAMPLES - tf.shape(samples)[0], 0)
    samples = tf.pad(samples, [[0, too_short]])
    stft = tf.signal.stft(samples, frame_length=WINDOW_SAMPLES, frame_step=HOP_SAMPLES,
                          fft_length=FFT_LENGTH, window_fn=tf.signal.hann_window, pad_end=False)
    power = tf.math.square(tf.abs(stft))  # [frames, 257]
    mel_matrix = tf.signal.linear_to_mel_weight_matrix(
        NUM_MEL_BINS, FFT_LENGTH // 2 + 1, SAMPLE_RATE, LOWER_EDGE_HZ, UPPER_EDGE_HZ)
    return tf.math.log(tf.matmul(power, mel_matrix) + LOG_OFFSET)


def time_derivative(features: tf.Tensor) -> tf.Tensor:
    """Deltas of features [frames, bins] → [frames, bins]:
    d_t = Σ_{n=1..2} n·(c_{t+n} − c_{t−n}) / (2·Σ n²), with the first and last frames repeated."""
    window = DELTA_WINDOW
    first = tf.repeat(features[:1], window, axis=0)
    last = tf.repeat(features[-1:], window, axis=0)
    padded = tf.concat([first, features, last], axis=0)  # [frames + 4, bins]
    offsets = tf.range(-window, window + 1, dtype=tf.float32)
    kernel = offsets / tf.reduce_sum(tf.square(offsets))  # [-2, -1, 0, 1, 2] / 10
    # A 1-D convolution over time, treating each bin as a batch row: [bins, frames + 4, 1].
    rows = tf.transpose(padded)[:, :, None]
    delta = tf.nn.conv1d(rows, kernel[:, None, None], stride=1, padding="VALID")
    return tf.transpose(delta[:, :, 0])


def normalize_per_utterance(features: tf.Tensor) -> tf.Tensor:
    """features [frames, size] → each column shifted/scaled to mean 0, std 1 over frames; a
    constant column (variance < 1e-6) becomes 0."""
    mean, variance = tf.nn.moments(features, axes=[0], keepdims=True)
    varies = variance >= CONSTANT_VARIANCE
    scale = tf.math.rsqrt(tf.where(varies, variance, 1.0))
    return tf.where(varies, (features - mean) * scale, 0.0)
