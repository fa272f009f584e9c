"""Transformer encoder and decoder layers with Tensor2Tensor's pre-norm residual blocks.

Each sublayer (self-attention, encoder-decoder attention, feed-forward) is wrapped as
    x + dropout(sublayer(layer_norm(x)))
i.e. T2T's layer_preprocess_sequence="n" and layer_postprocess_sequence="da". The stacks that own
these layers add the final layer norm.
"""
from __future__ import annotations

import tensorflow as tf

from t2t.layers.attention import KeyValues, MultiHeadAttention
from t2t.layers.core import LayerNorm, dropout
from t2t.layers.feed_forward import FeedForward
from t2t.layers.random import SeedStream
from t2t.layers.shapes import dim

# One decoder layer's decoding state: {"self": KeyValues [batch, heads, max_length, d_kv],
#                                      "encoder": KeyValues [batch, heads, input_length, d_kv]}.
DecoderLayerCache = dict[str, KeyValues]


class EncoderLayer(tf.Module):
    """Self-attention then feed-forward: x [batch, length, d_model] -> [batch, length, d_model]."""

    def __init__(self, d_model: int, d_ff: int, num_heads: int, dropout_rate: float,
                 attention_dropout: float, relu_dropout: float, name: str | None = None):
        super().__init__(name=name)
        self.dropout_rate = dropout_rate
        with self.name_scope:
            self.self_attention_norm = LayerNorm(d_model, name="self_attention_norm")
            self.self_attention = MultiHeadAttention(d_model, num_heads, attention_dropout,
                                                     name="self_attention")
            self.feed_forward_norm = LayerNorm(d_model, name="feed_forward_norm")
            self.feed_forward = FeedForward(d_model, d_ff, relu_dropout, name="feed_forward")

    def __call__(self, x: tf.Tensor, bias: tf.Tensor, training: bool,
                 seeds: SeedStream | None = None) -> tf.Tensor:
        """bias: [batch, 1, 1, length] hides padding keys."""
        h = self.self_attention_norm(x)
        x += dropout(self.self_attention(h, h, bias, training, seeds), self.dropout_rate,
                     training, seeds)
        h = self.feed_forward(self.feed_forward_norm(x), training, seeds)
        return x + dropout(h, self.dropout_rate, training, seeds)


class DecoderLayer(tf.Module):
    """Causal self-attention, attention to the encoder output, then feed-forward.

    x [batch, length, d_model] -> [batch, length, d_model]. `__call__` runs a whole (teacher-forced)
    sequence; `decode_step` runs one position against a `DecoderLayerCache`.
    """

    def __init__(self, d_model: int, d_ff: int, num_heads: int, dropout_rate: float,
                 attention_dropout: float, relu_dropout: float, name: str | None = None):
        super().__init__(name=name)
        self.dropout_rate = dropout_rate
        with self.name_scope:
            self.self_attention_norm = LayerNorm(d_model, name="self_attention_norm")
            self.self_attention = MultiHeadAttention(d_model, num_heads, attention_dropout,
                                                     name="self_attention")
            self.encoder_attention_norm = LayerNorm(d_model, name="encoder_attention_norm")
            self.encoder_attention = MultiHeadAttention(d_model, num_heads, attention_dropout,
                                                        name="encoder_attention")
            self.feed_forward_norm = LayerNorm(d_model, name="feed_forward_norm")
            self.feed_forward = FeedForward(d_model, d_ff, relu_dropout, name="feed_forward")

    def __call__(self, x: tf.Tensor, encoder_output: tf.Tensor, self_bias: tf.Tensor,
                 encoder_bias: tf.Tensor, training: bool,
                 seeds: SeedStream | None = None) -> tf.Tensor:
        """encoder_output [batch, input_length, d_model]; self_bias [1, 1, length, length] (causal);
        encoder_bias [batch, 1, 1, input_length] (padding)."""
        h = self.self_attention_norm(x)
        attended = self.self_attention(h, h, self_bias, training, seeds)
        encoder_keys_values = self.encoder_attention.project_keys_values(encoder_output)
        return self._after_self_attention(x, attended, encoder_keys_values, encoder_bias,
                                          training, seeds)

    def init_cache(self, encoder_output: tf.Tensor,
                   max_length: int | tf.Tensor) -> DecoderLayerCache:
        """Empty self-attention cache; encoder keys/values projected once from encoder_output."""
        return {"self": self.self_attention.empty_cache(dim(encoder_output, 0), max_length),
                "encoder": self.encoder_attention.project_keys_values(encoder_output)}

    def decode_step(self, x: tf.Tensor, cache: DecoderLayerCache, position: tf.Tensor,
                    self_bias: tf.Tensor,
                    encoder_bias: tf.Tensor) -> tuple[tf.Tensor, DecoderLayerCache]:
        """One position x [batch, 1, d_model] at int32 `position` (inference, no dropout).

        self_bias [1, 1, 1, max_length] hides the cache slots after `position`. Returns the output
        [batch, 1, d_model] and the cache with this position's keys/values written in.
        """
        h = self.self_attention_norm(x)
        self_cache = self.self_attention.write_keys_values(cache["self"], h, position)
        attended = self.self_attention.attend(h, self_cache, self_bias, training=False)
        y = self._after_self_attention(x, attended, cache["encoder"], encoder_bias, training=False)
        return y, {"self": self_cache, "encoder": cache["encoder"]}

    def _after_self_attention(self, x: tf.Tensor, attended: tf.Tensor,
                              encoder_keys_values: KeyValues, encoder_bias: tf.Tensor,
                              training: bool, seeds: SeedStream | None = None) -> tf.Tensor:
        """Residual of self-attention, then the encoder-attention and feed-forward blocks."""
        x += dropout(attended, self.dropout_rate, training, seeds)
        h = self.encoder_attention.attend(self.encoder_attention_norm(x), encoder_keys_values,
                                          encoder_bias, training, seeds)
        x += dropout(h, self.dropout_rate, training, seeds)
        h = self.feed_forward(self.feed_forward_norm(x), training, seeds)
        return x + dropout(h, self.dropout_rate, training, seeds)
