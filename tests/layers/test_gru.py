"""The GRU layers against Keras' GRU (same equations, "reset after" form) and against running each
sequence on its own."""
import numpy as np
import tensorflow as tf

from t2t.layers.gru import GRU, BidirectionalGRU

D_MODEL, D_HIDDEN = 5, 4


def randomize(module: tf.Module, seed: int) -> None:
    """Non-zero values for every weight (biases start at 0), so each one is checked."""
    rng = np.random.default_rng(seed)
    for variable in module.trainable_variables:
        variable.assign(rng.normal(0.0, 0.5, variable.shape).astype(np.float32))


def keras_gru(gru: GRU, x: np.ndarray) -> np.ndarray:
    """Keras' GRU (reset_after=True) with `gru`'s weights: its gates are ordered (update, reset,
    candidate), its bias holds [input bias; recurrent bias]."""
    layer = tf.keras.layers.GRU(D_HIDDEN, reset_after=True, return_sequences=True)
    layer.build(x.shape)
    reset, update, candidate = range(3)
    order = [update, reset, candidate]
    kernel = gru.input_kernel.numpy()[:, order, :].reshape(D_MODEL, -1)
    recurrent = gru.recurrent_kernel.numpy()[:, order, :].reshape(D_HIDDEN, -1)
    input_bias = gru.input_bias.numpy()[order].reshape(-1)
    recurrent_bias = np.concatenate([np.zeros(2 * D_HIDDEN), gru.candidate_bias.numpy()])
    layer.set_weights([kernel, recurrent, np.stack([input_bias, recurrent_bias])])
    return layer(x).numpy()


def test_gru_matches_keras():
    gru = GRU(D_MODEL, D_HIDDEN, name="gru")
    randomize(gru, 0)
    x = np.random.default_rng(1).normal(size=[3, 7, D_MODEL]).astype(np.float32)
    ours = gru(tf.constant(x), tf.constant([7, 7, 7])).numpy()
    np.testing.assert_allclose(ours, keras_gru(gru, x), atol=1e-5)


def test_bidirectional_gru_runs_each_padded_sequence_as_if_alone():
    layer = BidirectionalGRU(D_MODEL, D_HIDDEN, name="bigru")
    randomize(layer, 2)
    lengths = [6, 3, 1]
    x = np.random.default_rng(3).normal(size=[3, 6, D_MODEL]).astype(np.float32)
    for row, length in enumerate(lengths):
        x[row, length:] = 100.0                   # padding: must not reach any output
    together = layer(tf.constant(x), tf.constant(lengths)).numpy()
    for row, length in enumerate(lengths):
        alone = x[row:row + 1, :length]
        forward = layer.forward(tf.constant(alone), tf.constant([length])).numpy()
        backward = layer.backward(tf.constant(alone[:, ::-1]), tf.constant([length])).numpy()
        np.testing.assert_allclose(together[row, :length], (forward + backward[:, ::-1])[0],
                                   atol=1e-5)
        np.testing.assert_array_equal(together[row, length:], 0.0)
