"""DeepSpeech2: sizes of the sets, logical axes, CTC training and decoding, padding invariance."""
import gin
import numpy as np
import pytest
import tensorflow as tf

import t2t.hparams  # noqa: F401
import t2t.models  # noqa: F401
import t2t.train.trainer  # noqa: F401  (TrainHparams, Adam, learning_rate_schedule configurables)
from t2t import config, registry
from t2t.ids import EOS_ID
from t2t.layers import weights
from t2t.layers.random import SeedStream
from t2t.modality import SymbolModality
from t2t.model import ProblemInfo
from t2t.models.deepspeech2 import DeepSpeech2
from t2t.speech.ctc_search import CtcDecodeParams
from t2t.speech.modality import AudioModality
from t2t.train import mesh
from t2t.train.optimizers import Adam
from tests.helpers.synthetic_speech import TRANSCRIPTS, synthetic_batch

AUDIO_INFO = ProblemInfo(AudioModality(80), 30)
TINY = dict(conv_channels=(8,), conv_kernels=((3, 5),), conv_strides=((2, 4),), num_rnn_layers=1,
            rnn_hidden_size=48, fully_connected_size=48, dropout=0.0, time_masks=0, freq_masks=0)


@pytest.fixture(autouse=True)
def clean_gin():
    yield
    gin.clear_config()


def num_parameters(model):
    return sum(int(tf.size(variable)) for variable in model.trainable_variables)


def test_large_set_matches_the_paper_architecture_and_reports_its_size():
    config.configure("deepspeech2_large")
    model = registry.models.get("deepspeech2")(AUDIO_INFO)
    count = num_parameters(model)
    print(f"deepspeech2_large: {count:,} parameters")
    assert len(model.convs) == 3 and len(model.rnns) == 7
    assert 130e6 < count < 145e6, count


def test_every_weight_has_one_logical_axis_per_dimension():
    config.configure("deepspeech2_cpu")
    model = registry.models.get("deepspeech2")(AUDIO_INFO)
    assert 2e6 < num_parameters(model) < 5e6
    for variable in model.trainable_variables:
        assert len(variable.logical_axes) == variable.shape.rank, variable.name
    axes = {axis for variable in model.trainable_variables for axis in variable.logical_axes}
    assert {"conv_time", "conv_freq", "channels_in", "channels_out", "d_model", "gates",
            "d_hidden", "vocab"} <= axes


def train(model, batch, steps, learning_rate=3e-3):
    plan = mesh.make_plan("")
    with plan.scope():
        optimizer = Adam(model.trainable_variables, beta2=0.99)

    @tf.function
    def step(batch, seed):
        def replica_step(local_batch):
            with tf.GradientTape() as tape:
                logits = model(local_batch, training=True, seeds=SeedStream(seed))
                loss_sum, weight_sum = model.loss(logits, local_batch)
            gradients = tape.gradient(loss_sum, model.trainable_variables)
            optimizer.apply_gradients(plan, [g / weight_sum for g in gradients],
                                      tf.constant(learning_rate))
            return loss_sum / weight_sum
        return plan.reduce_sum(plan.run(replica_step, batch))

    return [float(step(batch, tf.constant([0, i], tf.int64))) for i in range(steps)]


def decoded(model, inputs, beam_size=1):
    outputs = model.infer({"inputs": inputs}, CtcDecodeParams(beam_size=beam_size))["outputs"]
    result = []
    for row in outputs.numpy().tolist():
        end = row.index(EOS_ID)
        assert not any(row[end + 1:]), f"padding after EOS must be 0: {row}"
        result.append(row[:end])
    return result


def transcript_log_prob(model, inputs, transcripts):
    """log P(transcript | audio) under the model's CTC distribution, per utterance."""
    batch = synthetic_batch(transcripts)  # only for the padded targets layout
    logits = model({"inputs": inputs}, training=False)
    targets = batch["targets"]
    labels = tf.where(targets > EOS_ID, targets, 0)
    losses = tf.nn.ctc_loss(tf.sparse.from_dense(labels), logits, None,
                            model.output_lengths({"inputs": inputs}), logits_time_major=False,
                            blank_index=0)
    return -losses.numpy()


@pytest.fixture(scope="module")
def overfit_model():
    weights.reset_default_seed(0)
    model = DeepSpeech2(AUDIO_INFO, **TINY)
    losses = train(model, synthetic_batch(TRANSCRIPTS), steps=60)
    return model, losses


def test_bfloat16_compute_is_an_hparam_and_learns_the_transcripts_too():
    config.configure("deepspeech2_cpu", "compute_dtype='bfloat16'")
    model = registry.models.get("deepspeech2")(AUDIO_INFO)
    assert model.convs[0].compute_dtype == model.rnns[0].forward.compute_dtype == tf.bfloat16
    assert model.output_layer.compute_dtype == tf.float32
    gin.clear_config()

    weights.reset_default_seed(0)
    model = DeepSpeech2(AUDIO_INFO, **TINY, compute_dtype="bfloat16")
    losses = train(model, synthetic_batch(TRANSCRIPTS), steps=60)
    assert np.mean(losses[-5:]) < 0.1 * np.mean(losses[:5]), (losses[:5], losses[-5:])
    assert decoded(model, synthetic_batch(TRANSCRIPTS, seed=1)["inputs"]) == TRANSCRIPTS


def test_ctc_loss_drops_and_greedy_decoding_returns_the_transcripts(overfit_model):
    model, losses = overfit_model
    assert np.mean(losses[-5:]) < 0.1 * np.mean(losses[:5]), (losses[:5], losses[-5:])
    fresh = synthetic_batch(TRANSCRIPTS, seed=1)  # the same words, new noise
    assert decoded(model, fresh["inputs"]) == TRANSCRIPTS


def test_beam_search_finds_transcripts_at_least_as_likely_as_greedy(overfit_model):
    model, _ = overfit_model
    inputs = synthetic_batch(TRANSCRIPTS, seed=2)["inputs"]
    greedy = decoded(model, inputs, beam_size=1)
    beam = decoded(model, inputs, beam_size=8)
    greedy_scores = transcript_log_prob(model, inputs, greedy)
    beam_scores = transcript_log_prob(model, inputs, beam)
    assert np.all(beam_scores >= greedy_scores - 1e-4), (beam_scores, greedy_scores)
    assert beam == TRANSCRIPTS


def test_padding_does_not_change_any_utterance():
    weights.reset_default_seed(1)
    model = DeepSpeech2(AUDIO_INFO, **{**TINY, "conv_strides": ((3, 2),), "num_rnn_layers": 2})
    batch = synthetic_batch(TRANSCRIPTS)
    lengths = model.input_lengths(batch).numpy()
    assert list(lengths) == [4 + len(ids) * 12 for ids in TRANSCRIPTS]
    padded_logits = model(batch, training=False).numpy()
    padded_decodes = decoded(model, batch["inputs"], beam_size=4)
    out_lengths = model.output_lengths(batch).numpy()
    for row, length in enumerate(lengths):
        alone = batch["inputs"][row:row + 1, :length]
        logits = model({"inputs": alone}, training=False).numpy()[0]
        assert logits.shape[0] == out_lengths[row] == -(-length // 3)
        np.testing.assert_allclose(padded_logits[row, :out_lengths[row]], logits, atol=1e-5)
        assert decoded(model, alone, beam_size=4) == [padded_decodes[row]]


def test_given_lengths_match_lengths_read_from_padding():
    weights.reset_default_seed(2)
    model = DeepSpeech2(AUDIO_INFO, **TINY)
    batch = synthetic_batch(TRANSCRIPTS)
    derived = model(batch, training=False)
    given = model({**batch, "inputs_length": model.input_lengths(batch)}, training=False)
    np.testing.assert_array_equal(derived.numpy(), given.numpy())


def test_loss_weight_counts_characters_and_skips_unalignable_utterances():
    weights.reset_default_seed(3)
    model = DeepSpeech2(AUDIO_INFO, **TINY)
    batch = synthetic_batch(TRANSCRIPTS)
    loss_sum, weight_sum = model.loss(model(batch, training=False), batch)
    assert float(weight_sum) == sum(len(ids) for ids in TRANSCRIPTS)
    assert np.isfinite(float(loss_sum)) and float(loss_sum) > 0
    # 3 frames → 2 output frames cannot hold 4 characters: that utterance is left out.
    short = {"inputs": batch["inputs"][:2, :3], "targets": batch["targets"][:2]}
    loss_sum, weight_sum = model.loss(model(short, training=False), short)
    assert float(weight_sum) == 0.0 and float(loss_sum) == 0.0
    assert model.correct_predictions(None, batch) is None


def test_silence_decodes_to_nothing():
    weights.reset_default_seed(4)
    model = DeepSpeech2(AUDIO_INFO, **TINY)
    outputs = model.infer({"inputs": tf.zeros([2, 50, 80])}, CtcDecodeParams())["outputs"]
    np.testing.assert_array_equal(outputs.numpy(), [[EOS_ID], [EOS_ID]])


def test_bad_configurations_are_errors():
    with pytest.raises(ValueError, match="not a multiple of num_mel_bins"):
        DeepSpeech2(ProblemInfo(AudioModality(100), 30))
    with pytest.raises(ValueError, match="inputs must be audio"):
        DeepSpeech2(ProblemInfo(SymbolModality(20), 30))
    with pytest.raises(ValueError, match="one entry per layer"):
        DeepSpeech2(AUDIO_INFO, conv_channels=(8, 8), conv_kernels=((3, 3),),
                    conv_strides=((1, 1),))
    with pytest.raises(ValueError, match=r"max_freq_warp must be in \[0, 1\), got 1.2"):
        DeepSpeech2(AUDIO_INFO, max_freq_warp=1.2)
    with pytest.raises(ValueError, match="DeepSpeech2: compute_dtype must be one of"):
        DeepSpeech2(AUDIO_INFO, compute_dtype="float16")


def test_frequency_warp_changes_training_outputs_only():
    weights.reset_default_seed(5)
    model = DeepSpeech2(AUDIO_INFO, **{**TINY, "max_freq_warp": 0.1})
    features = {"inputs": tf.random.stateless_normal([2, 40, 80], [1, 2])}
    seeds = tf.constant([1, 2], tf.int64)
    trained = model(features, training=True, seeds=SeedStream(seeds)).numpy()
    plain = model(features, training=False).numpy()
    assert np.abs(trained - plain).max() > 1e-3
    np.testing.assert_array_equal(trained, model(features, True, SeedStream(seeds)).numpy())
    with pytest.raises(ValueError, match="needs `seeds`"):
        model(features, training=True)
