"""Core layers: einsum projection, embedding (with tied softmax), layer normalization, dropout.

Every weight is created in `__init__` through `t2t.layers.weights.create_weight`, with logical axis
names, so a model's variables exist as soon as it is constructed and the mesh plan can place them.
"""
from __future__ import annotations

import math
from typing import Sequence

import tensorflow as tf

from t2t.layers import precision, weights
from t2t.layers.random import SeedStream
from t2t.layers.shapes import check_shape


def dropout(x: tf.Tensor, rate: float, training: bool, seeds: SeedStream | None) -> tf.Tensor:
    """Stateless dropout: identity unless `training` and `rate` > 0, when a seed is drawn from `seeds`."""
    if not training or rate == 0.0:
        return x
    if seeds is None:
        raise ValueError("dropout with training=True needs a SeedStream (the `seeds` argument)")
    return tf.nn.experimental.stateless_dropout(x, rate=rate, seed=seeds.next())


class Dense(tf.Module):
    """A projection written as an einsum with a kernel whose dimensions have logical axis names.

        query = Dense("bld,dhk->bhlk", [d_model, heads, d_kv], ("d_model", "heads", "d_kv"))
        query(x)   # x [batch, length, d_model] -> [batch, heads, length, d_kv]

    Kernel dimensions whose letters appear in the input are contracted (they are the fan-in for the
    Glorot initializer); the others are new output dimensions. With `use_bias`, a bias over the new
    dimensions is added; they must then be the trailing output dimensions, in kernel order.

    With `compute_dtype` tf.bfloat16 the einsum runs on bfloat16 copies of x and the kernel and its
    result is cast back to x's dtype (see `t2t.layers.precision`); the kernel stays float32.
    """

    def __init__(self, equation: str, kernel_shape: Sequence[int], kernel_axes: Sequence[str],
                 use_bias: bool = False, compute_dtype: tf.DType = tf.float32,
                 name: str | None = None):
        super().__init__(name=name)
        self.compute_dtype = precision.check_compute_dtype(compute_dtype, self.name)
        inputs, rest = equation.replace(" ", "").split(",")
        kernel, output = rest.split("->")
        if len(kernel) != len(kernel_shape):
            raise ValueError(f"{self.name}: equation {equation!r} has a {len(kernel)}-dim kernel but "
                             f"kernel_shape is {list(kernel_shape)}")
        self.equation = equation
        # The input shape this layer accepts: batch-like letters are free, kernel letters are sized.
        axis_of = dict(zip(kernel, kernel_axes))
        self._input_spec = "[" + ", ".join(axis_of.get(letter, letter) for letter in inputs) + "]"
        self._input_sizes = {axis_of[letter]: kernel_shape[kernel.index(letter)]
                             for letter in inputs if letter in kernel}
        fan_in = math.prod(size for letter, size in zip(kernel, kernel_shape) if letter in inputs)
        new_dims = [i for i, letter in enumerate(kernel) if letter not in inputs]
        fan_out = math.prod(kernel_shape[i] for i in new_dims)
        with self.name_scope:
            self.kernel = weights.create_weight(
                "kernel", kernel_shape, kernel_axes, weights.glorot_uniform(fan_in, fan_out))
            self.bias = None
            if use_bias:
                new_letters = "".join(kernel[i] for i in new_dims)
                if not output.endswith(new_letters):
                    raise ValueError(f"{self.name}: a bias needs the new dims {new_letters!r} to end "
                                     f"the output of {equation!r}")
                self.bias = weights.create_weight(
                    "bias", [kernel_shape[i] for i in new_dims],
                    [kernel_axes[i] for i in new_dims], weights.zeros())

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        check_shape(x, self._input_spec, self.name, **self._input_sizes)
        y = tf.cast(tf.einsum(self.equation, tf.cast(x, self.compute_dtype),
                              tf.cast(self.kernel, self.compute_dtype)), x.dtype)
        return y if self.bias is None else y + self.bias


class Embedding(tf.Module):
    """A [vocab, d_model] table: ids -> vectors, and (tied softmax) vectors -> logits over the vocab.

    Initialized with normal(d_model**-0.5), as in Tensor2Tensor.
    """

    def __init__(self, vocab_size: int, d_model: int, name: str | None = None):
        super().__init__(name=name)
        self.vocab_size = vocab_size
        self.d_model = d_model
        with self.name_scope:
            self.table = weights.create_weight("table", [vocab_size, d_model], ("vocab", "d_model"),
                                               weights.normal(d_model ** -0.5))

    def __call__(self, ids: tf.Tensor) -> tf.Tensor:
        """ids int [batch, length] (any shape) -> [batch, length, d_model]."""
        if not ids.dtype.is_integer:
            raise ValueError(f"{self.name}: expected integer ids, got {ids.dtype.name}")
        # Read the table before gathering: a gather straight on a vocab-sharded DTensor fails.
        return tf.gather(tf.identity(self.table), ids)

    def logits(self, x: tf.Tensor) -> tf.Tensor:
        """x [batch, length, d_model] -> logits [batch, length, vocab] = x · tableᵀ."""
        check_shape(x, "[batch, length, d_model]", self.name, d_model=self.d_model)
        return tf.einsum("bld,vd->blv", x, self.table)


class LayerNorm(tf.Module):
    """Normalizes the last dim to zero mean and unit variance, then scales and shifts it.

    x [..., d_model] -> [..., d_model]; epsilon 1e-6 as in Tensor2Tensor.
    """

    def __init__(self, d_model: int, epsilon: float = 1e-6, name: str | None = None):
        super().__init__(name=name)
        self.d_model = d_model
        self.epsilon = epsilon
        with self.name_scope:
            self.scale = weights.create_weight("scale", [d_model], ("d_model",), weights.ones())
            self.bias = weights.create_weight("bias", [d_model], ("d_model",), weights.zeros())

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        check_shape(x, "[..., d_model]", self.name, d_model=self.d_model)
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(variance + self.epsilon) * self.scale + self.bias
