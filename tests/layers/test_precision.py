"""bfloat16 compute in Dense, Conv2D and the GRUs: float32 weights and outputs, results and
gradients within bfloat16's rounding of float32's, and bad dtypes rejected."""
import pytest
import tensorflow as tf

from t2t.layers import weights
from t2t.layers.conv import Conv2D
from t2t.layers.core import Dense
from t2t.layers.gru import BidirectionalGRU
from t2t.layers.precision import compute_dtype_by_name

LENGTHS = tf.constant([12, 7, 3])


def dense(dtype):
    return Dense("btd,df->btf", [16, 24], ("d_model", "d_ff"), use_bias=True,
                 compute_dtype=dtype, name="dense")


def conv(dtype):
    return Conv2D(2, 8, (3, 5), (2, 2), compute_dtype=dtype, name="conv")


def gru(dtype):
    return BidirectionalGRU(16, 24, compute_dtype=dtype, name="gru")


CASES = {
    "dense": (dense, [3, 12, 16], lambda layer, x: layer(x)),
    "conv": (conv, [3, 12, 20, 2], lambda layer, x: layer(x)),
    "gru": (gru, [3, 12, 16], lambda layer, x: layer(x, LENGTHS)),
}


def outputs_and_gradients(make_layer, dtype, x, call):
    weights.reset_default_seed(7)
    layer = make_layer(dtype)
    with tf.GradientTape() as tape:
        y = call(layer, x)
        loss = tf.reduce_sum(tf.sin(y))
    return layer, y, tape.gradient(loss, layer.trainable_variables)


def relative_error(actual, expected):
    return float(tf.norm(actual - expected) / tf.norm(expected))


@pytest.mark.parametrize("name", sorted(CASES))
def test_bfloat16_layers_keep_float32_weights_and_track_float32_results(name):
    make_layer, shape, call = CASES[name]
    x = tf.random.stateless_normal(shape, [3, 4])
    _, y32, grads32 = outputs_and_gradients(make_layer, tf.float32, x, call)
    layer, y16, grads16 = outputs_and_gradients(make_layer, tf.bfloat16, x, call)

    assert all(variable.dtype == tf.float32 for variable in layer.trainable_variables)
    assert y16.dtype == tf.float32
    assert all(grad.dtype == tf.float32 for grad in grads16)
    # bfloat16 keeps 8 bits of mantissa (relative rounding 2^-9 ≈ 0.2 %).
    assert 0 < relative_error(y16, y32) < 0.02, relative_error(y16, y32)
    for variable, grad16, grad32 in zip(layer.trainable_variables, grads16, grads32):
        assert relative_error(grad16, grad32) < 0.03, variable.name


def test_bfloat16_gru_keeps_padding_at_zero():
    weights.reset_default_seed(7)
    y = gru(tf.bfloat16)(tf.random.stateless_normal([3, 12, 16], [3, 4]), LENGTHS)
    mask = tf.sequence_mask(LENGTHS, 12)
    assert float(tf.reduce_max(tf.abs(tf.boolean_mask(y, ~mask)))) == 0.0
    assert float(tf.reduce_min(tf.reduce_max(tf.abs(tf.boolean_mask(y, mask)), -1))) > 0.0


def test_unsupported_compute_dtypes_are_errors():
    with pytest.raises(ValueError, match="dense: compute_dtype must be tf.float32 or tf.bfloat16"):
        dense(tf.float16)
    with pytest.raises(ValueError, match="conv: compute_dtype"):
        conv(tf.int32)
    with pytest.raises(ValueError, match="forward: compute_dtype"):
        gru(tf.float64)
    assert compute_dtype_by_name("bfloat16", "model") == tf.bfloat16
    with pytest.raises(ValueError, match=r"model: compute_dtype must be one of \['bfloat16', "
                                         r"'float32'\], got 'fp16'"):
        compute_dtype_by_name("fp16", "model")
