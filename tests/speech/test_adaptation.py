"""Test-time adaptation: the entropy objective, which weights move, restoring them, and decoding
each utterance independently of its neighbours."""
import numpy as np
import pytest
import tensorflow as tf

import t2t.models  # noqa: F401
from t2t.decode.inference import Inference
from t2t.decode.params import parse_decode_hparams
from t2t.layers import weights
from t2t.model import ProblemInfo
from t2t.models.deepspeech2 import DeepSpeech2
from t2t.models.transformer import Transformer
from t2t.speech.adaptation import UtteranceAdapter, mean_frame_entropy, normalization_variables
from t2t.speech.ctc_search import CtcDecodeParams
from t2t.speech.modality import AudioModality
from tests.helpers.synthetic_speech import TRANSCRIPTS, synthetic_batch

AUDIO_INFO = ProblemInfo(AudioModality(80), 30)
TINY = dict(conv_channels=(8,), conv_kernels=((3, 5),), conv_strides=((2, 4),), num_rnn_layers=2,
            rnn_hidden_size=32, fully_connected_size=32, dropout=0.0, time_masks=0, freq_masks=0)


@pytest.fixture
def model():
    weights.reset_default_seed(0)
    return DeepSpeech2(AUDIO_INFO, **TINY)


def one_utterance(index=0):
    return synthetic_batch([TRANSCRIPTS[index]])["inputs"]


def test_mean_frame_entropy_averages_the_valid_frames_only():
    logits = tf.constant([[[0.0, 0.0], [10.0, -10.0], [5.0, 5.0]],
                          [[0.0, 0.0], [3.0, 1.0], [0.0, 0.0]]])
    lengths = tf.constant([2, 1])
    # Valid frames: (uniform, nearly certain) and (uniform): ln 2, ~0, ln 2.
    assert float(mean_frame_entropy(logits, lengths)) == pytest.approx(2 * np.log(2) / 3, abs=1e-6)
    # A high temperature flattens the certain frame towards ln 2 as well.
    assert float(mean_frame_entropy(logits, lengths, temperature=1e4)) == pytest.approx(
        np.log(2), abs=1e-4)


def test_only_the_normalization_scales_and_biases_are_adapted(model):
    names = sorted(variable.name for variable in normalization_variables(model))
    # one convolution norm and two GRU input norms, each with a scale and a bias
    assert len(names) == 6, names
    assert all("norm" in name and ("scale" in name or "bias" in name) for name in names), names


def test_adaptation_lowers_the_entropy_and_restores_every_weight(model):
    inputs = one_utterance()
    trained = {variable.name: variable.numpy() for variable in model.trainable_variables}
    adapter = UtteranceAdapter(model, steps=8, learning_rate=0.05)
    adapted_names = {variable.name for variable in adapter.variables}
    with adapter.adapted(inputs) as objective:
        for variable in model.trainable_variables:
            changed = not np.array_equal(variable.numpy(), trained[variable.name])
            assert changed == (variable.name in adapted_names), variable.name
        logits, lengths = model.decoding_logits({"inputs": inputs})
        after = float(mean_frame_entropy(logits, lengths))
    assert objective[-1] < objective[0] and after < objective[0], (objective, after)
    for variable in model.trainable_variables:
        np.testing.assert_array_equal(variable.numpy(), trained[variable.name])
    # Adam's moments start afresh for each utterance: the same utterance adapts the same way.
    with adapter.adapted(inputs) as again:
        pass
    np.testing.assert_allclose(again, objective, rtol=1e-5)


def test_weights_are_restored_when_decoding_fails(model):
    trained = [variable.numpy() for variable in normalization_variables(model)]
    adapter = UtteranceAdapter(model, steps=2, learning_rate=0.05)
    with pytest.raises(RuntimeError, match="decoding failed"):
        with adapter.adapted(one_utterance()):
            raise RuntimeError("decoding failed")
    for variable, value in zip(normalization_variables(model), trained):
        np.testing.assert_array_equal(variable.numpy(), value)


def test_bad_arguments_are_errors(model):
    with pytest.raises(ValueError, match="one utterance at a time"):
        with UtteranceAdapter(model, steps=1, learning_rate=0.01).adapted(
                synthetic_batch(TRANSCRIPTS[:2])["inputs"]):
            pass
    with pytest.raises(ValueError, match="steps >= 1"):
        UtteranceAdapter(model, steps=0, learning_rate=0.01)
    with pytest.raises(ValueError, match="unknown decode hparam 'adapt_steps'"):
        parse_decode_hparams("adapt_steps=1,adapt_learning_rate=0.01", Transformer.DECODE_PARAMS)


def test_decode_hparams_turn_adaptation_on_and_check_it():
    params = parse_decode_hparams("adapt_steps=5,adapt_learning_rate=0.01", CtcDecodeParams)
    assert (params.adapt_steps, params.adapt_learning_rate) == (5, 0.01)
    with pytest.raises(ValueError, match="adapt_learning_rate"):
        CtcDecodeParams(adapt_steps=3, adapt_learning_rate=0.0)


def test_inference_adapts_to_each_utterance_alone(model):
    """An utterance decodes the same alone and among others, and the weights end as trained."""
    batch = synthetic_batch(TRANSCRIPTS)["inputs"].numpy()
    utterances = [batch[i][np.any(batch[i] != 0, axis=1)] for i in range(len(batch))]
    params = CtcDecodeParams(adapt_steps=3, adapt_learning_rate=0.05)

    class Problem:  # decode_ids needs no codecs
        pass

    trained = [variable.numpy() for variable in model.trainable_variables]
    decoder = Inference(Problem(), model, params)
    together = decoder.decode_ids(utterances)
    alone = [decoder.decode_ids([utterance])[0] for utterance in utterances[::-1]][::-1]
    assert together == alone
    for variable, value in zip(model.trainable_variables, trained):
        np.testing.assert_array_equal(variable.numpy(), value)
