"""Audio front end: log-mel features, wav reading and its errors, SpecAugment."""
import math
import struct
import wave

import numpy as np
import pytest
import tensorflow as tf

from t2t.data_gen import audio
from t2t.speech import audio_features
from t2t.speech.frequency_warp import frequency_warp, warp_sources
from t2t.speech.spec_augment import spec_augment

RATE = 16_000


def sine(frequency_hz, seconds=1.0, amplitude=0.5):
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * frequency_hz * t)).astype(np.float32)


def speech_like(seconds=2.0, seed=0):
    """A tone whose pitch and loudness change over time, plus noise: every feature varies."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    tone = np.sin(2 * np.pi * (300 + 400 * t) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return (0.3 * tone + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


def mel_bin_of(frequency_hz):
    """The mel filter whose center is closest to frequency_hz (centers are evenly spaced in mel
    between the edges, as in tf.signal.linear_to_mel_weight_matrix)."""
    def mel(hz):
        return 1127.0 * math.log(1.0 + hz / 700.0)
    edges = np.linspace(mel(audio_features.LOWER_EDGE_HZ), mel(audio_features.UPPER_EDGE_HZ),
                        audio_features.NUM_MEL_BINS + 2)
    return int(np.argmin(np.abs(edges[1:-1] - mel(frequency_hz))))


@pytest.mark.parametrize("frequency_hz", [440, 1000, 3000])
def test_a_sine_wave_peaks_in_its_mel_bin(frequency_hz):
    spectrogram = audio_features.log_mel_spectrogram(sine(frequency_hz)).numpy()
    peak_bins = spectrogram.argmax(axis=1)
    assert np.all(np.abs(peak_bins - mel_bin_of(frequency_hz)) <= 1), (peak_bins[:5],
                                                                       mel_bin_of(frequency_hz))


def test_frames_every_10_ms_of_25_ms_windows_and_feature_sizes():
    for num_samples in (400, 559, 560, 16000, 16123):
        expected = 1 + (num_samples - 400) // 160
        assert audio_features.num_frames(num_samples) == expected
        features = audio_features.log_mel_features(speech_like(num_samples / RATE))
        assert features.shape == (expected, 80)
    with_deltas = audio_features.log_mel_features(speech_like(), deltas=True)
    assert with_deltas.shape == (audio_features.num_frames(2 * RATE), 240)
    assert audio_features.feature_size(True) == 240 and audio_features.feature_size(False) == 80
    assert audio_features.log_mel_features(np.zeros(100, np.float32)).shape == (1, 80)


def test_per_utterance_normalization_gives_mean_0_std_1():
    features = audio_features.log_mel_features(speech_like(), deltas=True).numpy()
    np.testing.assert_allclose(features.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(features.std(axis=0), 1.0, atol=1e-3)


def test_silence_gives_all_zero_features():
    features = audio_features.log_mel_features(np.zeros(RATE, np.float32), deltas=True)
    assert features.shape == (98, 240)
    assert not np.any(features.numpy())


def test_deltas_of_a_ramp_are_its_slope():
    ramp = tf.constant(np.outer(np.arange(10.0), [1.0, -2.0]), tf.float32)  # [frames, 2]
    delta = audio_features.time_derivative(ramp).numpy()
    np.testing.assert_allclose(delta[2:-2], [[1.0, -2.0]] * 6, atol=1e-6)
    assert abs(delta[0, 0]) < 1.0  # edges repeat the first/last frame, so the slope is damped


def test_features_run_inside_a_tf_data_map():
    clips = [speech_like(0.5), speech_like(1.0, seed=1)]
    dataset = tf.data.Dataset.from_generator(
        lambda: iter(clips), output_signature=tf.TensorSpec([None], tf.float32))
    dataset = dataset.map(audio_features.log_mel_features)
    assert dataset.element_spec.shape.as_list() == [None, 80]
    shapes = [features.shape for features in dataset]
    assert shapes == [(48, 80), (98, 80)]


# -- wav files
def write_with_wave(path, samples_bytes, channels=1, sample_width=2, rate=RATE):
    with wave.open(str(path), "wb") as file:
        file.setnchannels(channels)
        file.setsampwidth(sample_width)
        file.setframerate(rate)
        file.writeframes(samples_bytes)
    return str(path)


def float_wav(path):
    body = np.zeros(100, "<f4").tobytes()
    header = (b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVE" + b"fmt " +
              struct.pack("<IHHIIHH", 16, 3, 1, RATE, RATE * 4, 4, 32) +
              b"data" + struct.pack("<I", len(body)))
    path.write_bytes(header + body)
    return str(path)


def test_read_wav_round_trips_16_bit_mono_16k(tmp_path):
    samples = (sine(440, 0.1) * 32767).astype(np.int16)
    path = str(tmp_path / "ok.wav")
    audio.write_wav(path, samples)
    np.testing.assert_array_equal(audio.read_wav(path), samples)
    # Python's wave module writes the same format; tf.audio.decode_wav agrees on the samples.
    other = write_with_wave(tmp_path / "wave.wav", samples.tobytes())
    decoded, rate = tf.audio.decode_wav(tf.io.read_file(other))
    assert int(rate) == RATE
    np.testing.assert_allclose(decoded.numpy()[:, 0], audio.read_wav(other) / 32768.0)


@pytest.mark.parametrize("make, message", [
    (lambda p: write_with_wave(p, b"\x80" * 100, sample_width=1), "PCM, 8-bit"),
    (lambda p: write_with_wave(p, b"\x00" * 300, sample_width=3), "PCM, 24-bit"),
    (float_wav, "IEEE float, 32-bit"),
    (lambda p: write_with_wave(p, b"\x00" * 400, channels=2), "2 channel"),
    (lambda p: write_with_wave(p, b"\x00" * 400, rate=44_100), "44100 Hz"),
    (lambda p: write_with_wave(p, b""), "holds no samples"),
])
def test_read_wav_rejects_other_formats_naming_file_and_expectation(tmp_path, make, message):
    path = make(tmp_path / "bad.wav")
    with pytest.raises(audio.WavError, match=message) as error:
        audio.read_wav(path)
    assert path in str(error.value)
    assert "16-bit PCM, mono, 16000 Hz" in str(error.value)


def test_read_wav_rejects_corrupt_files(tmp_path):
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"this is not audio at all")
    with pytest.raises(audio.WavError, match="not a wav file"):
        audio.read_wav(str(garbage))
    good = tmp_path / "good.wav"
    audio.write_wav(str(good), np.ones(1000, np.int16))
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[:500])
    with pytest.raises(audio.WavError, match="truncated.wav: corrupt or truncated.*'data' claims "
                                             "2000 bytes"):
        audio.read_wav(str(truncated))


def test_silence_is_read_like_any_audio(tmp_path):
    path = str(tmp_path / "silence.wav")
    audio.write_wav(path, np.zeros(RATE, np.int16))
    assert not np.any(audio.read_wav(path))


def test_sox_converts_other_rates_and_stereo_to_16k_mono(tmp_path):
    stereo = np.stack([sine(440, 0.5) * 20000] * 2, axis=1).astype(np.int16)
    source = write_with_wave(tmp_path / "cd.wav", stereo.tobytes(), channels=2, rate=44_100)
    converted = str(tmp_path / "converted.wav")
    audio.convert_to_16k_mono(source, converted)
    samples = audio.read_wav(converted)
    assert abs(len(samples) - round(len(stereo) * RATE / 44_100)) <= 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cd.wav", "converted.wav"]


def test_failed_conversion_leaves_no_file(tmp_path):
    source = tmp_path / "broken.wav"
    source.write_bytes(b"RIFF....WAVEnonsense")
    with pytest.raises(audio.WavError, match="broken.wav: sox could not convert"):
        audio.convert_to_16k_mono(str(source), str(tmp_path / "out.wav"))
    assert [path.name for path in tmp_path.iterdir()] == ["broken.wav"]


# -- SpecAugment
def test_spec_augment_masks_what_it_says():
    batch, frames, bins = 8, 100, 80
    features = tf.ones([batch, frames, bins, 3])
    lengths = tf.constant([100, 60, 30, 100, 5, 80, 100, 1])
    seed = tf.constant([3, 4], tf.int64)
    masked = spec_augment(features, lengths, seed, time_masks=2, max_time_width=10,
                          freq_masks=2, max_freq_width=7).numpy()
    zero = masked == 0.0
    assert np.all(zero == zero[..., :1])  # every channel of a masked (frame, bin) is masked
    zero = zero[..., 0]
    masked_frames = np.all(zero, axis=2)    # [batch, frames]: the whole frame is zero
    masked_bins = np.all(zero, axis=1)      # [batch, bins]: the whole bin is zero
    for row in range(batch):
        assert masked_frames[row].sum() <= 2 * min(10, int(lengths[row]))
        assert not masked_frames[row, lengths[row]:].any(), "a time mask fell in the padding"
        assert masked_bins[row].sum() <= 2 * 7
        # Every zero is explained by a masked frame or a masked bin.
        explained = masked_frames[row][:, None] | masked_bins[row][None, :]
        assert np.array_equal(zero[row], explained)
    assert masked_frames.any() and masked_bins.any()
    again = spec_augment(features, lengths, seed, 2, 10, 2, 7).numpy()
    np.testing.assert_array_equal(masked, again)
    other = spec_augment(features, lengths, tf.constant([3, 5], tf.int64), 2, 10, 2, 7).numpy()
    assert not np.array_equal(masked, other)


def test_spec_augment_without_masks_is_the_identity():
    features = tf.random.stateless_normal([2, 20, 80, 1], [1, 2])
    unchanged = spec_augment(features, tf.constant([20, 10]), tf.constant([1, 1], tf.int64),
                             time_masks=0, max_time_width=10, freq_masks=0, max_freq_width=10)
    np.testing.assert_array_equal(unchanged.numpy(), features.numpy())


# -- Frequency warping (vocal-tract-length perturbation)
def test_frequency_warp_scales_the_lower_bins_and_keeps_the_axis_ends():
    batch, frames, bins = 16, 3, 80
    ramp = tf.broadcast_to(tf.range(bins, dtype=tf.float32)[None, None, :, None],
                           [batch, frames, bins, 2])
    padded = tf.concat([ramp, tf.zeros([batch, 1, bins, 2])], axis=1)   # one padding frame
    warped = frequency_warp(padded, tf.constant([7, 8], tf.int64), max_warp=0.1).numpy()
    sources = warped[:, 0, :, 0]                          # a ramp reads back its source positions
    np.testing.assert_array_equal(warped[:, :frames], np.repeat(warped[:, :1], frames, axis=1))
    np.testing.assert_array_equal(warped[:, frames], 0.0)  # padding stays 0
    factors = np.arange(1, 60) / sources[:, 1:60]          # bins below the knee: b / α
    np.testing.assert_allclose(factors, factors[:, :1] * np.ones_like(factors), rtol=1e-4)
    assert np.all((factors > 0.9 - 1e-5) & (factors < 1.1 + 1e-5))
    assert factors[:, 0].std() > 0.02                      # each utterance its own factor
    assert np.all(np.diff(sources, axis=1) > 0)            # monotonic, no bin read twice
    np.testing.assert_allclose(sources[:, [0, -1]], [[0.0, bins - 1]] * batch, atol=1e-4)
    np.testing.assert_allclose(warp_sources(tf.constant([[1.0]]), bins).numpy()[0],
                               np.arange(bins), atol=1e-5)
    again = frequency_warp(padded, tf.constant([7, 8], tf.int64), max_warp=0.1).numpy()
    np.testing.assert_array_equal(warped, again)
    assert frequency_warp(padded, tf.constant([7, 8], tf.int64), 0.0) is padded
    with pytest.raises(ValueError, match="max_warp must be in"):
        frequency_warp(padded, tf.constant([7, 8], tf.int64), max_warp=1.5)


def test_a_missing_program_names_its_debian_package():
    with pytest.raises(FileNotFoundError, match="apt-get install espeak-ng"):
        audio.require_program("espeak-ng-that-is-not-installed", "espeak-ng")
