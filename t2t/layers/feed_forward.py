"""The position-wise feed-forward block of the Transformer: dense → relu → dropout → dense."""
from __future__ import annotations

import tensorflow as tf

from t2t.layers.core import Dense, dropout
from t2t.layers.random import SeedStream


class FeedForward(tf.Module):
    """x [batch, length, d_model] -> [batch, length, d_model] through a hidden layer of d_ff relus.

    Weights: [d_model, d_ff] ("d_model", "d_ff") and [d_ff, d_model] ("d_ff", "d_model"), with
    biases; `dropout_rate` drops hidden units (T2T's relu_dropout).
    """

    def __init__(self, d_model: int, d_ff: int, dropout_rate: float = 0.0,
                 name: str | None = None):
        super().__init__(name=name)
        self.dropout_rate = dropout_rate
        with self.name_scope:
            self.hidden = Dense("bld,df->blf", [d_model, d_ff], ("d_model", "d_ff"),
                                use_bias=True, name="hidden")
            self.output = Dense("blf,fd->bld", [d_ff, d_model], ("d_ff", "d_model"),
                                use_bias=True, name="output")

    def __call__(self, x: tf.Tensor, training: bool, seeds: SeedStream | None = None) -> tf.Tensor:
        hidden = tf.nn.relu(self.hidden(x))
        return self.output(dropout(hidden, self.dropout_rate, training, seeds))
