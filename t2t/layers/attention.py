"""Multi-head dot-product attention with explicit heads, attention biases and key/value caches.

Shapes: queries come from x [batch, q_length, d_model], keys and values from a memory
[batch, k_length, d_model]; per head they are [batch, heads, length, d_kv]. Masks are additive
biases broadcastable to [batch, heads, q_length, k_length]: 0 where attention is allowed, -1e9 where
it is not, so masked keys get exactly zero weight after the softmax.

Incremental decoding keeps the keys and values of every decoded position in a cache preallocated to
[batch, heads, max_length, d_kv]; `write_keys_values` fills in one position, so shapes never change
inside the decoding loop (which keeps it XLA-compatible).
"""
from __future__ import annotations

import tensorflow as tf

from t2t.layers.core import Dense, dropout
from t2t.layers.random import SeedStream
from t2t.layers.shapes import check_shape, dim

# {"keys": [batch, heads, k_length, d_kv], "values": [batch, heads, k_length, d_kv]}
KeyValues = dict[str, tf.Tensor]

MASKED = -1e9


def padding_bias(ids: tf.Tensor, pad_id: int = 0) -> tf.Tensor:
    """ids [batch, length] -> bias [batch, 1, 1, length] that hides the padding keys."""
    is_pad = tf.cast(tf.equal(ids, pad_id), tf.float32)
    return (is_pad * MASKED)[:, None, None, :]


def future_bias(query_positions: tf.Tensor, key_length: int | tf.Tensor) -> tf.Tensor:
    """Causal mask: query positions [q_length] -> bias [1, 1, q_length, key_length].

    A query at position p may attend to keys at positions <= p. The full decoder uses
    `future_bias(tf.range(length), length)`; a decoding step at position p uses
    `future_bias([p], max_length)`.
    """
    is_future = tf.range(key_length)[None, :] > tf.convert_to_tensor(query_positions)[:, None]
    return (tf.cast(is_future, tf.float32) * MASKED)[None, None]


def attention_weights(queries: tf.Tensor, keys: tf.Tensor, bias: tf.Tensor | None) -> tf.Tensor:
    """softmax(queries · keysᵀ + bias) over the keys.

    queries [batch, heads, q_length, d_kv] (already scaled), keys [batch, heads, k_length, d_kv]
    -> weights [batch, heads, q_length, k_length].
    """
    logits = tf.einsum("bhqd,bhkd->bhqk", queries, keys)
    if bias is not None:
        check_shape(bias, "[batch, heads, q_length, k_length]", "attention_weights")
        logits += bias
    return tf.nn.softmax(logits, axis=-1)


class MultiHeadAttention(tf.Module):
    """Multi-head attention without biases on the projections (as in Tensor2Tensor).

    Weights: query/key/value kernels [d_model, heads, d_kv] with axes ("d_model", "heads", "d_kv"),
    output kernel [heads, d_kv, d_model] with axes ("heads", "d_kv", "d_model"); d_kv =
    d_model / num_heads. Queries are scaled by d_kv**-0.5; `dropout_rate` drops attention weights.
    """

    def __init__(self, d_model: int, num_heads: int, dropout_rate: float = 0.0,
                 name: str | None = None):
        super().__init__(name=name)
        if d_model % num_heads:
            raise ValueError(f"{self.name}: d_model={d_model} is not divisible by "
                             f"num_heads={num_heads}")
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_kv = d_model // num_heads
        self.dropout_rate = dropout_rate
        kernel_shape = [d_model, num_heads, self.d_kv]
        kernel_axes = ("d_model", "heads", "d_kv")
        with self.name_scope:
            self.query = Dense("bld,dhk->bhlk", kernel_shape, kernel_axes, name="query")
            self.key = Dense("bld,dhk->bhlk", kernel_shape, kernel_axes, name="key")
            self.value = Dense("bld,dhk->bhlk", kernel_shape, kernel_axes, name="value")
            self.output = Dense("bhlk,hkd->bld", [num_heads, self.d_kv, d_model],
                                ("heads", "d_kv", "d_model"), name="output")

    def __call__(self, x: tf.Tensor, memory: tf.Tensor, bias: tf.Tensor | None, training: bool,
                 seeds: SeedStream | None = None) -> tf.Tensor:
        """x [batch, q_length, d_model] attends to memory [batch, k_length, d_model].

        Pass `memory=x` for self-attention. Returns [batch, q_length, d_model].
        """
        return self.attend(x, self.project_keys_values(memory), bias, training, seeds)

    def project_keys_values(self, memory: tf.Tensor) -> KeyValues:
        """memory [batch, k_length, d_model] -> keys and values [batch, heads, k_length, d_kv]."""
        check_shape(memory, "[batch, k_length, d_model]", self.name, d_model=self.d_model)
        return {"keys": self.key(memory), "values": self.value(memory)}

    def attend(self, x: tf.Tensor, keys_values: KeyValues, bias: tf.Tensor | None,
               training: bool, seeds: SeedStream | None = None) -> tf.Tensor:
        """x [batch, q_length, d_model] attends to given keys/values -> [batch, q_length, d_model]."""
        check_shape(x, "[batch, q_length, d_model]", self.name, d_model=self.d_model)
        queries = self.query(x) * self.d_kv ** -0.5
        weights = attention_weights(queries, keys_values["keys"], bias)
        weights = dropout(weights, self.dropout_rate, training, seeds)
        context = tf.einsum("bhqk,bhkd->bhqd", weights, keys_values["values"])
        return self.output(context)

    def empty_cache(self, batch_size: int | tf.Tensor, max_length: int | tf.Tensor) -> KeyValues:
        """Zero keys and values [batch, heads, max_length, d_kv] for incremental self-attention."""
        zeros = tf.zeros([batch_size, self.num_heads, max_length, self.d_kv], tf.float32)
        return {"keys": zeros, "values": zeros}

    def write_keys_values(self, cache: KeyValues, x: tf.Tensor,
                          position: tf.Tensor) -> KeyValues:
        """Writes the keys/values of x [batch, 1, d_model] at `position` of the cache.

        cache: [batch, heads, max_length, d_kv] each; position: int32 scalar. Returns the new cache.
        """
        check_shape(x, "[batch, one, d_model]", self.name, one=1, d_model=self.d_model)
        new = self.project_keys_values(x)
        at_position = tf.equal(tf.range(dim(cache["keys"], 2)), position)[None, None, :, None]
        return {name: tf.where(at_position, new[name], cache[name]) for name in cache}
