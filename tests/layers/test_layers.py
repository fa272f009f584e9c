"""Tests of t2t.layers: shape checks, attention masks and caches, dropout, positions, loss."""
import math

import numpy as np
import pytest
import tensorflow as tf

from t2t.layers import weights
from t2t.layers.attention import (MultiHeadAttention, attention_weights, future_bias,
                                  padding_bias)
from t2t.layers.core import Dense, Embedding, LayerNorm, dropout
from t2t.layers.feed_forward import FeedForward
from t2t.layers.losses import smoothed_cross_entropy
from t2t.layers.positional import add_timing_signal, timing_signal
from t2t.layers.random import SeedStream
from t2t.layers.shapes import check_shape

D_MODEL, HEADS = 8, 2


@pytest.fixture(autouse=True)
def fixed_weights():
    weights.reset_default_seed(1)


def random_normal(*shape, seed=0):
    return tf.random.stateless_normal(shape, [seed, 7])


def test_check_shape_names_layer_and_expected_shape():
    check_shape(tf.zeros([2, 3, 8]), "[batch, length, d_model]", "layer", d_model=8)
    check_shape(tf.zeros([5, 2, 3, 8]), "[..., d_model]", "layer", d_model=8)
    with pytest.raises(ValueError, match=r"my_layer: expected shape \[batch, length, d_model=8\]"):
        check_shape(tf.zeros([2, 3, 4]), "[batch, length, d_model]", "my_layer", d_model=8)
    with pytest.raises(ValueError, match="my_layer"):
        check_shape(tf.zeros([2, 8]), "[batch, length, d_model]", "my_layer", d_model=8)


def test_dense_projects_with_einsum_and_checks_input():
    layer = Dense("bld,dhk->bhlk", [D_MODEL, HEADS, 4], ("d_model", "heads", "d_kv"), name="q")
    assert layer.kernel.logical_axes == ("d_model", "heads", "d_kv")
    x = random_normal(2, 3, D_MODEL)
    y = layer(x)
    assert y.shape == [2, HEADS, 3, 4]
    np.testing.assert_allclose(y[1, 0, 2], x[1, 2].numpy() @ layer.kernel[:, 0, :].numpy(),
                               rtol=1e-5)
    with pytest.raises(ValueError, match=r"q: expected shape \[b, l, d_model=8\]"):
        layer(random_normal(2, 3, 5))


def test_dense_bias_is_over_the_new_trailing_dims():
    layer = Dense("bld,df->blf", [D_MODEL, 16], ("d_model", "d_ff"), use_bias=True)
    assert layer.bias.shape == [16] and layer.bias.logical_axes == ("d_ff",)
    with pytest.raises(ValueError, match="bias"):
        Dense("bld,dhk->bhlk", [D_MODEL, HEADS, 4], ("d_model", "heads", "d_kv"), use_bias=True)


def test_embedding_lookup_and_tied_logits():
    embedding = Embedding(10, D_MODEL, name="emb")
    assert embedding.table.logical_axes == ("vocab", "d_model")
    ids = tf.constant([[3, 0, 9]])
    np.testing.assert_array_equal(embedding(ids)[0, 2], embedding.table[9])
    x = random_normal(1, 3, D_MODEL)
    np.testing.assert_allclose(embedding.logits(x)[0], x[0] @ tf.transpose(embedding.table),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="emb: expected integer ids"):
        embedding(tf.zeros([1, 3]))
    with pytest.raises(ValueError, match=r"emb: expected shape \[batch, length, d_model=8\]"):
        embedding.logits(random_normal(1, 3, 4))


def test_layer_norm_normalizes_last_dim():
    norm = LayerNorm(D_MODEL, name="norm")
    assert norm.scale.logical_axes == ("d_model",) and norm.bias.logical_axes == ("d_model",)
    y = norm(random_normal(3, 4, D_MODEL) * 5.0 + 2.0)
    np.testing.assert_allclose(tf.reduce_mean(y, -1), 0.0, atol=1e-5)
    np.testing.assert_allclose(tf.math.reduce_std(y, -1), 1.0, atol=1e-3)
    with pytest.raises(ValueError, match=r"norm: expected shape \[\.\.\., d_model=8\]"):
        norm(random_normal(3, 4, 6))


def test_dropout_is_stateless_and_off_at_inference():
    x = tf.ones([4, 100])
    assert dropout(x, 0.5, training=False, seeds=None) is x
    with pytest.raises(ValueError, match="SeedStream"):
        dropout(x, 0.5, training=True, seeds=None)
    first = dropout(x, 0.5, training=True, seeds=SeedStream([3, 4]))
    again = dropout(x, 0.5, training=True, seeds=SeedStream([3, 4]))
    other = dropout(x, 0.5, training=True, seeds=SeedStream([3, 5]))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert set(np.unique(first)) == {0.0, 2.0}


def test_feed_forward_weights_and_shape():
    layer = FeedForward(D_MODEL, 16, name="ffn")
    assert layer.hidden.kernel.logical_axes == ("d_model", "d_ff")
    assert layer.output.kernel.logical_axes == ("d_ff", "d_model")
    assert layer(random_normal(2, 3, D_MODEL), training=False).shape == [2, 3, D_MODEL]
    with pytest.raises(ValueError, match="hidden"):
        layer(random_normal(2, 3, 4), training=False)


def test_attention_weights_and_axes():
    attention = MultiHeadAttention(D_MODEL, HEADS, name="attn")
    for dense in (attention.query, attention.key, attention.value):
        assert dense.kernel.logical_axes == ("d_model", "heads", "d_kv")
        assert dense.kernel.shape == [D_MODEL, HEADS, D_MODEL // HEADS]
    assert attention.output.kernel.logical_axes == ("heads", "d_kv", "d_model")
    with pytest.raises(ValueError, match="not divisible"):
        MultiHeadAttention(D_MODEL, 3)


def test_attention_checks_shapes():
    attention = MultiHeadAttention(D_MODEL, HEADS, name="attn")
    x = random_normal(2, 3, D_MODEL)
    with pytest.raises(ValueError, match=r"attn: expected shape \[batch, k_length, d_model=8\]"):
        attention(x, random_normal(2, 3, 4), None, training=False)
    with pytest.raises(ValueError, match=r"attn: expected shape \[batch, q_length, d_model=8\]"):
        attention(random_normal(2, 3), x, None, training=False)
    with pytest.raises(ValueError, match="attention_weights"):
        attention(x, x, tf.zeros([2, 3]), training=False)
    with pytest.raises(ValueError, match=r"one=1"):
        attention.write_keys_values(attention.empty_cache(2, 5), x, tf.constant(0))


def test_padded_keys_get_no_attention_weight():
    memory_ids = tf.constant([[5, 6, 1, 0, 0], [7, 1, 0, 0, 0]])
    bias = padding_bias(memory_ids)
    assert bias.shape == [2, 1, 1, 5]
    queries, keys = random_normal(2, HEADS, 4, 3, seed=1), random_normal(2, HEADS, 5, 3, seed=2)
    weights_ = attention_weights(queries, keys, bias).numpy()
    is_pad = (memory_ids.numpy() == 0)[:, None, None, :]
    assert np.all(weights_[np.broadcast_to(is_pad, weights_.shape)] == 0.0)
    np.testing.assert_allclose(weights_.sum(-1), 1.0, rtol=1e-5)

    # So the layer's output ignores whatever sits at the padded memory positions.
    attention = MultiHeadAttention(D_MODEL, HEADS)
    x, memory = random_normal(2, 4, D_MODEL, seed=3), random_normal(2, 5, D_MODEL, seed=4)
    changed = tf.where(tf.equal(memory_ids, 0)[..., None], 100.0, memory)
    np.testing.assert_allclose(attention(x, memory, bias, training=False),
                               attention(x, changed, bias, training=False), rtol=1e-5)


def test_causal_output_ignores_later_positions():
    attention = MultiHeadAttention(D_MODEL, HEADS)
    x = random_normal(1, 6, D_MODEL, seed=5)
    bias = future_bias(tf.range(6), 6)
    assert bias.shape == [1, 1, 6, 6]
    before = attention(x, x, bias, training=False)
    for i in range(5):
        changed = tf.concat([x[:, :i + 1], random_normal(1, 5 - i, D_MODEL, seed=10 + i)], 1)
        after = attention(changed, changed, bias, training=False)
        np.testing.assert_allclose(after[:, :i + 1], before[:, :i + 1], rtol=1e-5, atol=1e-6)
        assert not np.allclose(after[:, i + 1:], before[:, i + 1:])


def test_incremental_self_attention_matches_full():
    attention = MultiHeadAttention(D_MODEL, HEADS)
    length, max_length = 4, 6
    x = random_normal(2, length, D_MODEL, seed=6)
    full = attention(x, x, future_bias(tf.range(length), length), training=False)
    cache = attention.empty_cache(2, max_length)
    for position in range(length):
        step = tf.constant(position)
        cache = attention.write_keys_values(cache, x[:, position:position + 1], step)
        y = attention.attend(x[:, position:position + 1], cache,
                             future_bias(step[None], max_length), training=False)
        np.testing.assert_allclose(y[:, 0], full[:, position], rtol=1e-5, atol=1e-6)
    assert cache["keys"].shape == [2, HEADS, max_length, D_MODEL // HEADS]
    np.testing.assert_array_equal(cache["keys"][:, :, length:], 0.0)


def test_timing_signal_matches_formula():
    signal = timing_signal(tf.constant([0, 3]), 4).numpy()
    # Two timescales, 1 and 1e4: [sin(p), sin(p/1e4), cos(p), cos(p/1e4)].
    np.testing.assert_allclose(signal[0], [0.0, 0.0, 1.0, 1.0], atol=1e-7)
    np.testing.assert_allclose(signal[1], [math.sin(3), math.sin(3e-4), math.cos(3),
                                           math.cos(3e-4)], rtol=1e-5)
    with pytest.raises(ValueError, match="even"):
        timing_signal(tf.range(3), 5)


def test_add_timing_signal_with_start_offset():
    x = tf.zeros([2, 5, D_MODEL])
    full = add_timing_signal(x)
    np.testing.assert_allclose(add_timing_signal(x[:, 3:4], start=tf.constant(3)), full[:, 3:4],
                               rtol=1e-6)


def test_smoothed_cross_entropy():
    targets = tf.constant([[2, 3, 1, 0]])
    vocab, smoothing = 5, 0.1
    # A model that predicts the smoothed distribution exactly has zero loss.
    smoothed = np.full([1, 4, vocab], smoothing / (vocab - 1), np.float32)
    for position, target in enumerate(targets.numpy()[0]):
        smoothed[0, position, target] = 1 - smoothing
    loss, weight = smoothed_cross_entropy(tf.math.log(smoothed), targets, smoothing)
    assert weight == 3.0
    assert abs(float(loss)) < 1e-5

    # Without smoothing: the summed plain cross entropy, padding excluded.
    logits = random_normal(1, 4, vocab)
    loss, _ = smoothed_cross_entropy(logits, targets, 0.0)
    per_token = tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits)
    np.testing.assert_allclose(loss, tf.reduce_sum(per_token[:, :3]), rtol=1e-5)
    changed_pad = tf.concat([logits[:, :3], logits[:, 3:] + 50.0], axis=1)
    np.testing.assert_allclose(smoothed_cross_entropy(changed_pad, targets, 0.0)[0], loss)
