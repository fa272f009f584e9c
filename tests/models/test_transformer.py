"""Tests of the Transformer: structure, masking, loss, and a tiny model that learns to reverse.

The trained model (a module-scoped fixture, ~5 s) is then used to check that cached decoding equals
full recomputation, that beam search agrees with greedy search where it must, and that decoding
compiles with XLA.
"""
import gin
import numpy as np
import pytest
import tensorflow as tf

from t2t import registry
from t2t.decode.params import DecodeParams
from t2t.decode.search import BeamSearch
from t2t.ids import EOS_ID
from t2t.layers import weights
from t2t.layers.core import Dense
from t2t.layers.random import SeedStream
from t2t.modality import InputEncoder, Modality, SymbolModality
from t2t.model import ProblemInfo
from t2t.models.transformer import Transformer, shift_right

VOCAB = 12
TINY = dict(hidden_size=32, filter_size=64, num_heads=2, num_encoder_layers=2,
            num_decoder_layers=2)
EXAMPLES, LENGTH = 512, 7


def tiny_transformer(input_vocab=VOCAB, target_vocab=VOCAB, **overrides):
    weights.reset_default_seed(0)
    info = ProblemInfo(SymbolModality(input_vocab), target_vocab)
    return Transformer(info, **{**TINY, **overrides})


def reverse_task(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random sequences of 2-6 symbols (ids 2..11) + EOS, and their reverses + EOS, padded to 7."""
    rng = np.random.default_rng(seed)
    inputs = np.zeros([EXAMPLES, LENGTH], np.int32)
    targets = np.zeros([EXAMPLES, LENGTH], np.int32)
    for row in range(EXAMPLES):
        symbols = rng.integers(2, VOCAB, rng.integers(2, LENGTH))
        inputs[row, :len(symbols) + 1] = [*symbols, EOS_ID]
        targets[row, :len(symbols) + 1] = [*symbols[::-1], EOS_ID]
    return inputs, targets


@pytest.fixture(scope="module")
def trained():
    """A 2+2-layer d32 Transformer trained for 300 Adam steps on the reverse task."""
    model = tiny_transformer(dropout=0.0, attention_dropout=0.0, relu_dropout=0.0)
    inputs, targets = reverse_task()
    steps = 300
    optimizer = tf.keras.optimizers.Adam(
        tf.keras.optimizers.schedules.CosineDecay(0.01, steps, alpha=0.05))

    @tf.function
    def train_step(features):
        with tf.GradientTape() as tape:
            loss_sum, weight_sum = model.loss(model(features, training=True), features)
            loss = loss_sum / weight_sum
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    rng = np.random.default_rng(1)
    losses = []
    for _ in range(steps):
        rows = rng.integers(0, EXAMPLES, 32)
        losses.append(float(train_step({"inputs": tf.constant(inputs[rows]),
                                        "targets": tf.constant(targets[rows])})))
    return model, inputs[:64], targets[:64], losses


def test_registered_and_configurable_with_gin():
    assert registry.models.get("transformer") is Transformer
    gin.parse_config(["Transformer.hidden_size = 16", "Transformer.num_encoder_layers = 1"])
    try:
        model = Transformer(ProblemInfo(SymbolModality(VOCAB), VOCAB))
    finally:
        gin.clear_config()
    assert model.hidden_size == 16
    assert len(model.encoder_layers) == 1 and len(model.decoder_layers) == 6


def test_every_variable_has_logical_axes():
    known_axes = {"vocab", "d_model", "heads", "d_kv", "d_ff"}
    model = tiny_transformer()
    assert model.trainable_variables  # created at construction, before any call
    for variable in model.trainable_variables:
        assert len(variable.logical_axes) == variable.shape.rank, variable.name
        assert set(variable.logical_axes) <= known_axes, variable.name
    kernels = [v.logical_axes for v in model.trainable_variables if "attention" in v.name
               and "kernel" in v.name]
    assert kernels.count(("heads", "d_kv", "d_model")) == 6  # 2 encoder + 2 * 2 decoder


@pytest.mark.parametrize("shared, input_vocab, tables", [(True, VOCAB, 1), (True, 9, 2),
                                                          (False, VOCAB, 3)])
def test_embedding_tables(shared, input_vocab, tables):
    model = tiny_transformer(input_vocab=input_vocab,
                             shared_embedding_and_softmax_weights=shared)
    vocab_tables = [v for v in model.trainable_variables
                    if v.logical_axes == ("vocab", "d_model")]
    assert len(vocab_tables) == tables
    assert (model.softmax is model.target_embedding) == shared


def test_tied_table_is_the_softmax():
    model = tiny_transformer()
    features = {"inputs": tf.constant([[3, 4, 1]]), "targets": tf.constant([[4, 3, 1]])}
    assert np.abs(model(features, training=False)).max() > 0
    model.target_embedding.table.assign(tf.zeros_like(model.target_embedding.table))
    np.testing.assert_array_equal(model(features, training=False), 0.0)


class FloatFrames(Modality):
    """A modality the Transformer does not know: float frames [batch, length, 3], no padding."""

    def input_encoder(self, d_model, shared_embedding=None, name="frame_encoder"):
        return FrameEncoder(d_model)


class FrameEncoder(InputEncoder):
    def __init__(self, d_model):
        super().__init__(name="frame_encoder")
        self.projection = Dense("btf,fd->btd", [3, d_model], ("features", "d_model"))

    def __call__(self, inputs, training, seeds=None):
        return self.projection(inputs), tf.zeros(tf.shape(inputs)[:2])

    def output_length(self, input_length):
        return input_length


def test_inputs_of_any_modality_enter_through_its_encoder():
    model = Transformer(ProblemInfo(FloatFrames(), VOCAB), **TINY)
    assert isinstance(model.input_encoder, FrameEncoder)
    assert model.target_embedding.name == "target_embedding"   # frames cannot share the table
    inputs = tf.random.stateless_normal([2, 5, 3], seed=[1, 2])
    features = {"inputs": inputs, "targets": tf.constant([[3, 4, 1], [5, 1, 0]])}
    assert model(features, training=False).shape == [2, 3, VOCAB]
    outputs = model.infer({"inputs": inputs}, DecodeParams(max_length=4))["outputs"]
    assert outputs.shape == [2, 4]


def test_symbol_inputs_share_the_target_table_only_when_the_vocabularies_match():
    shared = tiny_transformer()
    assert shared.input_encoder.embedding is shared.target_embedding is shared.softmax
    separate = tiny_transformer(input_vocab=VOCAB + 3)
    assert separate.input_encoder.embedding is not separate.target_embedding
    with pytest.raises(ValueError, match="cannot share a table of 12 symbols with inputs of 15"):
        SymbolModality(VOCAB + 3).input_encoder(32, shared.target_embedding)


def test_shift_right():
    shifted = shift_right(tf.constant([[5, 6, 1, 0], [7, 1, 0, 0]]))
    np.testing.assert_array_equal(shifted, [[0, 5, 6, 1], [0, 7, 1, 0]])


def test_dropout_needs_seeds_and_is_reproducible():
    model = tiny_transformer()
    features = {"inputs": tf.constant([[3, 4, 5, 1]]), "targets": tf.constant([[5, 4, 3, 1]])}
    with pytest.raises(ValueError, match="SeedStream"):
        model(features, training=True)
    first = model(features, training=True, seeds=SeedStream([1, 2]))
    again = model(features, training=True, seeds=SeedStream([1, 2]))
    other = model(features, training=True, seeds=SeedStream([1, 3]))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    np.testing.assert_array_equal(model(features, training=False),
                                  model(features, training=False))


def test_input_padding_is_masked():
    model = tiny_transformer()
    targets = tf.constant([[5, 4, 3, 1], [2, 1, 0, 0]])
    short = {"inputs": tf.constant([[3, 4, 5, 1], [2, 1, 0, 0]]), "targets": targets}
    long = {"inputs": tf.pad(short["inputs"], [[0, 0], [0, 5]]), "targets": targets}
    np.testing.assert_allclose(model(short, training=False), model(long, training=False),
                               rtol=1e-5, atol=1e-5)


def test_decoder_is_causal():
    model = tiny_transformer()
    inputs = tf.constant([[3, 4, 5, 1]])
    before = model({"inputs": inputs, "targets": tf.constant([[5, 4, 3, 1]])}, training=False)
    after = model({"inputs": inputs, "targets": tf.constant([[5, 4, 9, 9]])}, training=False)
    # Logits at position i see targets before i only (targets are shifted right by one).
    np.testing.assert_allclose(after[:, :3], before[:, :3], rtol=1e-5, atol=1e-6)
    assert not np.allclose(after[:, 3], before[:, 3])


def test_loss_sums_over_non_padding_targets():
    model = tiny_transformer()
    features = {"inputs": tf.constant([[3, 4, 1], [5, 1, 0]]),
                "targets": tf.constant([[4, 3, 1], [5, 1, 0]])}
    logits = model(features, training=False)
    loss_sum, weight_sum = model.loss(logits, features)
    assert weight_sum.dtype == tf.float32 and float(weight_sum) == 5.0
    # ~log(vocab) per token at initialization, well above zero.
    assert 0.5 * np.log(VOCAB) < float(loss_sum) / 5.0 < 2.0 * np.log(VOCAB)
    changed = tf.tensor_scatter_nd_add(logits, [[1, 2]], [tf.fill([VOCAB], 30.0)])
    np.testing.assert_allclose(model.loss(changed, features)[0], loss_sum, rtol=1e-6)


def test_learns_to_reverse(trained):
    model, inputs, targets, losses = trained
    assert np.mean(losses[-20:]) < 0.1 * np.mean(losses[:5])
    outputs = model.infer({"inputs": tf.constant(inputs)}, DecodeParams(max_length=LENGTH))
    matches = np.all(outputs["outputs"].numpy() == targets, axis=1)
    assert matches.mean() >= 0.95, f"{matches.sum()} of {len(matches)} reversed correctly"


def test_decode_length_is_input_length_plus_extra(trained):
    model, inputs, _, _ = trained
    features = {"inputs": tf.constant(inputs[:2])}
    assert model.infer(features, DecodeParams(extra_length=3))["outputs"].shape == [2, LENGTH + 3]
    assert model.infer(features, DecodeParams(max_length=5))["outputs"].shape == [2, 5]


@pytest.mark.parametrize("beam_size", [1, 4])
def test_cached_decoding_equals_full_recomputation(trained, beam_size):
    model, inputs, _, _ = trained
    features = {"inputs": tf.constant(inputs[:16])}
    params = DecodeParams(beam_size=beam_size, extra_length=2)
    cached = model.infer(features, params)
    uncached = model.infer(features, params, use_cache=False)
    np.testing.assert_array_equal(cached["outputs"], uncached["outputs"])
    np.testing.assert_allclose(cached["scores"], uncached["scores"], rtol=1e-4, atol=1e-4)


def test_beam_search_of_one_beam_is_greedy(trained):
    model, inputs, _, _ = trained
    features = {"inputs": tf.constant(inputs[:16])}
    greedy = model.infer(features, DecodeParams(extra_length=2))
    symbols_to_logits_fn, cache = model.prepare_decoding(features["inputs"], LENGTH + 2)
    ids, _ = BeamSearch(1, 0.6)(symbols_to_logits_fn, 16, LENGTH + 2, cache)
    np.testing.assert_array_equal(ids, greedy["outputs"])


def test_beam_search_scores_at_least_greedy(trained):
    model, inputs, _, _ = trained
    features = {"inputs": tf.constant(inputs[:16])}
    # With alpha=0 beam scores are plain log-probabilities, comparable with greedy's.
    greedy = model.infer(features, DecodeParams(extra_length=2))
    beam = model.infer(features, DecodeParams(beam_size=4, alpha=0.0, extra_length=2))
    same = np.all(beam["outputs"].numpy() == greedy["outputs"].numpy(), axis=1)
    better = beam["scores"].numpy() >= greedy["scores"].numpy() - 1e-5
    assert np.all(same | better)
    assert np.all(beam["scores"].numpy() <= 0.0)


def test_low_temperature_sampling_is_greedy(trained):
    model, inputs, _, _ = trained
    features = {"inputs": tf.constant(inputs[:16])}
    greedy = model.infer(features, DecodeParams(extra_length=2))
    sampled = model.infer(features, DecodeParams(temperature=1e-3, extra_length=2))
    np.testing.assert_array_equal(sampled["outputs"], greedy["outputs"])


@pytest.mark.parametrize("beam_size", [1, 4])
def test_decoding_compiles_with_xla(trained, beam_size):
    model, inputs, _, _ = trained
    features = {"inputs": tf.constant(inputs[:8])}
    params = DecodeParams(beam_size=beam_size, extra_length=2)
    compiled = tf.function(lambda features: model.infer(features, params), jit_compile=True)
    expected = model.infer(features, params)
    result = compiled(features)
    np.testing.assert_array_equal(result["outputs"], expected["outputs"])
    np.testing.assert_allclose(result["scores"], expected["scores"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("beam_size", [1, 3])
def test_decoding_with_unknown_batch_and_length(trained, beam_size):
    model, inputs, _, _ = trained
    params = DecodeParams(beam_size=beam_size, extra_length=2)
    infer = tf.function(lambda inputs: model.infer({"inputs": inputs}, params),
                        input_signature=[tf.TensorSpec([None, None], tf.int32)])
    expected = model.infer({"inputs": tf.constant(inputs[:4])}, params)
    np.testing.assert_array_equal(infer(tf.constant(inputs[:4]))["outputs"],
                                  expected["outputs"])
