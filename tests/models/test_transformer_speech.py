"""The Transformer on audio inputs (T2T's transformer_librispeech): structure, hparams sets,
padding invariance, and a tiny model that overfits four synthetic utterances.

The trained model (a module-scoped fixture, a few seconds) is then used to check greedy decoding
against the transcripts and cached against uncached decoding. A slow test runs t2t-trainer and
t2t-decoder on a tiny espeak corpus.
"""

import gin
import numpy as np
import pytest
import tensorflow as tf

import t2t.hparams  # noqa: F401
import t2t.models  # noqa: F401
import t2t.train.trainer  # noqa: F401  (TrainHparams, Adam, learning_rate_schedule configurables)
from t2t import config, registry
from t2t.decode.params import DecodeParams
from t2t.layers import weights
from t2t.model import ProblemInfo
from t2t.models.transformer import Transformer
from t2t.speech.front_end import AudioFrontEnd
from t2t.speech.modality import AudioModality
from tests.helpers.cli_tools import run_tool
from tests.helpers.synthetic_speech import (
    CHARACTER_FRAMES,
    PAUSE_FRAMES,
    TRANSCRIPTS,
    synthetic_batch,
)

VOCAB = 30
AUDIO_INFO = ProblemInfo(AudioModality(80), VOCAB)
TINY = dict(hidden_size=32, filter_size=64, num_heads=2, num_encoder_layers=2,
            num_decoder_layers=2, dropout=0.0,
            attention_dropout=0.0, relu_dropout=0.0, label_smoothing=0.0)


@pytest.fixture(autouse=True)
def clean_gin():
    yield
    gin.clear_config()


def tiny_speech_transformer(info: ProblemInfo = AUDIO_INFO, **overrides) -> Transformer:
    """A tiny Transformer whose audio front end has two convolutions of 8 channels (set by gin,
    as the hparams sets do)."""
    weights.reset_default_seed(0)
    gin.bind_parameter("AudioFrontEnd.conv_channels", (8, 8))
    return Transformer(info, **{**TINY, **overrides})


def num_parameters(model: Transformer) -> int:
    return sum(int(tf.size(variable)) for variable in model.trainable_variables)


@pytest.fixture(scope="module")
def trained():
    """The tiny model after 150 Adam steps on the four utterances, and its losses."""
    model = tiny_speech_transformer()
    batch = synthetic_batch(TRANSCRIPTS)
    optimizer = tf.keras.optimizers.Adam(3e-3)

    @tf.function
    def train_step(features):
        with tf.GradientTape() as tape:
            loss_sum, weight_sum = model.loss(model(features, training=True), features)
            loss = loss_sum / weight_sum
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    losses = [float(train_step(batch)) for _ in range(150)]
    return model, batch, losses


def test_audio_transformer_has_a_front_end_and_logical_axes():
    model = tiny_speech_transformer()
    assert isinstance(model.input_encoder, AudioFrontEnd)
    assert model.softmax is model.target_embedding
    for variable in model.trainable_variables:
        assert len(variable.logical_axes) == variable.shape.rank, variable.name
    axes = {axis for variable in model.trainable_variables for axis in variable.logical_axes}
    assert {"conv_time", "conv_freq", "channels_in", "channels_out", "conv_features", "d_model",
            "vocab"} <= axes
    features = synthetic_batch(TRANSCRIPTS[:2])
    encoder_output, bias = model.encode(features["inputs"], training=False)
    frames = features["inputs"].shape[1]
    assert encoder_output.shape == [2, -(-frames // 4), 32]
    assert bias.shape == [2, 1, 1, -(-frames // 4)]
    assert model(features, training=False).shape == [*features["targets"].shape, VOCAB]


def test_rejects_features_that_are_not_mel_bins_times_channels():
    with pytest.raises(ValueError, match="num_mel_bins"):
        tiny_speech_transformer(ProblemInfo(AudioModality(100), VOCAB))


@pytest.mark.parametrize("hparams_set, low, high", [("transformer_librispeech", 18e6, 24e6),
                                                     ("transformer_librispeech_tiny", 0.5e6, 1.5e6)])
def test_hparams_sets_build(hparams_set, low, high):
    config.configure(hparams_set)
    model = registry.models.get("transformer")(AUDIO_INFO)
    count = num_parameters(model)
    print(f"{hparams_set}: {count:,} parameters")
    assert low < count < high, count


def test_encoder_and_decoding_ignore_extra_padding_frames(trained):
    model, batch, _ = trained
    inputs = batch["inputs"]
    padded = tf.pad(inputs, [[0, 0], [0, 7], [0, 0]])       # odd: changes the strided parity
    short, _ = model.encode(inputs, training=False)
    long, long_bias = model.encode(padded, training=False)
    lengths = [-(-(PAUSE_FRAMES + len(ids) * (CHARACTER_FRAMES + PAUSE_FRAMES)) // 4)
               for ids in TRANSCRIPTS]
    np.testing.assert_array_equal(np.sum(long_bias.numpy() == 0, axis=-1).ravel(), lengths)
    for row, length in enumerate(lengths):
        np.testing.assert_allclose(long[row, :length], short[row, :length], rtol=1e-5, atol=1e-5)
    params = DecodeParams(max_length=8)
    np.testing.assert_array_equal(model.infer({"inputs": padded}, params)["outputs"],
                                  model.infer({"inputs": inputs}, params)["outputs"])


def test_overfits_four_utterances_and_decodes_them(trained):
    model, batch, losses = trained
    assert np.mean(losses[-10:]) < 0.05 * np.mean(losses[:3]), losses[::10]
    outputs = model.infer({"inputs": batch["inputs"]}, DecodeParams())["outputs"].numpy()
    targets = batch["targets"].numpy()
    np.testing.assert_array_equal(outputs[:, :targets.shape[1]], targets)


@pytest.mark.parametrize("beam_size", [1, 4])
def test_cached_decoding_equals_full_recomputation(trained, beam_size):
    model, batch, _ = trained
    features = {"inputs": batch["inputs"]}
    params = DecodeParams(beam_size=beam_size, max_length=10)
    cached = model.infer(features, params)
    uncached = model.infer(features, params, use_cache=False)
    np.testing.assert_array_equal(cached["outputs"], uncached["outputs"])
    np.testing.assert_allclose(cached["scores"], uncached["scores"], rtol=1e-4, atol=1e-4)



@pytest.mark.slow
def test_trainer_then_decoder_on_espeak_speech(tmp_path):
    data_dir, output_dir = tmp_path / "data", tmp_path / "run"
    small = ("hidden_size=32,filter_size=64,num_encoder_layers=1,num_decoder_layers=1,"
             "audio_conv_channels=(4, 4),batch_size=2000,learning_rate_warmup_steps=10")
    result = run_tool(
        "trainer", "--problem=speech_espeak_en", "--model=transformer",
        "--hparams_set=transformer_librispeech_tiny", f"--hparams={small}",
        "--gin_param=SpeechEspeakEn.num_train_sentences = 12",
        "--gin_param=SpeechEspeakEn.num_dev_sentences = 4",
        "--gin_param=SpeechEspeakEn.num_test_sentences = 4", f"--data_dir={data_dir}",
        f"--output_dir={output_dir}", "--train_steps=6", "--log_every=2",
        "--eval_decode_examples=4")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "decode/wer" in result.stderr
    result = run_tool("decoder", f"--output_dir={output_dir}", f"--data_dir={data_dir}",
                      "--decode_split=test")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test: 4 examples  wer" in result.stdout
