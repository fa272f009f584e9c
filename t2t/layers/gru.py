"""A GRU layer over padded sequences, and a bidirectional wrapper that sums both directions.

    layer = BidirectionalGRU(d_model=640, d_hidden=256)
    y = layer(x, lengths)          # x [batch, time, 640], lengths int32 [batch] → [batch, time, 256]

The GRU (Cho et al. 2014, in the "reset after" form cuDNN uses) at step t:
    r = σ(W_r x_t + U_r h + b_r)        z = σ(W_z x_t + U_z h + b_z)
    n = tanh(W_n x_t + b_n + r ⊙ (U_n h + c_n))        h_t = (1 − z) ⊙ n + z ⊙ h
The input projections W·x of all steps are one einsum before the recurrence; the recurrence is a
`tf.scan` over time (differentiable under tf.distribute, and it runs under XLA), doing one
[batch, d_hidden] × [d_hidden, 3·d_hidden] matmul per step.

With `compute_dtype` tf.bfloat16 (`t2t.layers.precision`) both matmuls run in bfloat16 while the
state, the gates and the outputs stay float32. The recurrent kernel is cast once per call, outside
the scan, so its gradient is summed over the time steps in bfloat16, a little further from
float32's than the input kernel's (measured: docs/benchmarks.md, "Facts moved from docstrings").

Padding: outputs at steps t >= length are 0. The forward direction never looks ahead, so padding
cannot reach valid steps; the backward direction reverses each sequence within its own length
(`tf.reverse_sequence`), so it starts at the sequence's true end, not at the end of the padding.
"""
from __future__ import annotations

import math

import tensorflow as tf

from t2t.layers import precision, weights
from t2t.layers.sequence import mask_padding
from t2t.layers.shapes import check_shape

NUM_GATES = 3  # reset, update, candidate


class GRU(tf.Module):
    """One direction of a GRU: x [batch, time, d_model] → h [batch, time, d_hidden].

    Weights (logical axes):
      input_kernel [d_model, 3, d_hidden] ("d_model", "gates", "d_hidden"), Glorot uniform;
      recurrent_kernel [d_hidden, 3, d_hidden] ("d_hidden_in", "gates", "d_hidden"), uniform
        ±√(3 / d_hidden) (variance 1 / d_hidden, Glorot's for a square matrix);
      input_bias [3, d_hidden] ("gates", "d_hidden") and candidate_bias [d_hidden] ("d_hidden",)
        (c_n above), zeros.
    The state starts at 0. `compute_dtype`: see the module docstring.
    """

    def __init__(self, d_model: int, d_hidden: int, compute_dtype: tf.DType = tf.float32,
                 name: str | None = None):
        super().__init__(name=name)
        self.compute_dtype = precision.check_compute_dtype(compute_dtype, self.name)
        self.d_model = d_model
        self.d_hidden = d_hidden
        with self.name_scope:
            self.input_kernel = weights.create_weight(
                "input_kernel", [d_model, NUM_GATES, d_hidden], ("d_model", "gates", "d_hidden"),
                weights.glorot_uniform(d_model, NUM_GATES * d_hidden))
            self.recurrent_kernel = weights.create_weight(
                "recurrent_kernel", [d_hidden, NUM_GATES, d_hidden],
                ("d_hidden_in", "gates", "d_hidden"), weights.uniform(math.sqrt(3.0 / d_hidden)))
            self.input_bias = weights.create_weight("input_bias", [NUM_GATES, d_hidden],
                                                    ("gates", "d_hidden"), weights.zeros())
            self.candidate_bias = weights.create_weight("candidate_bias", [d_hidden],
                                                        ("d_hidden",), weights.zeros())

    def __call__(self, x: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
        """x [batch, time, d_model], lengths int32 [batch] → [batch, time, d_hidden], 0 past each
        length."""
        check_shape(x, "[batch, time, d_model]", self.name, d_model=self.d_model)
        compute_dtype = self.compute_dtype
        projected = tf.einsum("btd,dgh->gtbh", tf.cast(x, compute_dtype),
                              tf.cast(self.input_kernel, compute_dtype))
        projected = tf.cast(projected, x.dtype) + self.input_bias[:, None, None, :]
        reset_in, update_in, candidate_in = tf.unstack(projected)   # each [time, batch, d_hidden]
        recurrent_kernel = tf.cast(tf.reshape(self.recurrent_kernel, [self.d_hidden, -1]),
                                   compute_dtype)
        candidate_bias = self.candidate_bias

        def step(state: tf.Tensor, inputs: tuple[tf.Tensor, tf.Tensor, tf.Tensor]) -> tf.Tensor:
            reset_x, update_x, candidate_x = inputs
            recurrent = tf.matmul(tf.cast(state, compute_dtype), recurrent_kernel)
            reset_h, update_h, candidate_h = tf.split(tf.cast(recurrent, state.dtype), NUM_GATES,
                                                      axis=-1)
            reset = tf.sigmoid(reset_x + reset_h)
            update = tf.sigmoid(update_x + update_h)
            candidate = tf.tanh(candidate_x + reset * (candidate_h + candidate_bias))
            return (1.0 - update) * candidate + update * state

        initial_state = tf.zeros([tf.shape(x)[0], self.d_hidden], x.dtype)
        states = tf.scan(step, (reset_in, update_in, candidate_in), initializer=initial_state)
        return mask_padding(tf.transpose(states, [1, 0, 2]), lengths)


class BidirectionalGRU(tf.Module):
    """A forward and a backward GRU over the same input; their outputs are summed, as in
    DeepSpeech2 (Amodei et al. 2016, eq. 3), so the output size stays d_hidden.

    x [batch, time, d_model], lengths int32 [batch] → [batch, time, d_hidden], 0 past each length.
    """

    def __init__(self, d_model: int, d_hidden: int, compute_dtype: tf.DType = tf.float32,
                 name: str | None = None):
        super().__init__(name=name)
        with self.name_scope:
            self.forward = GRU(d_model, d_hidden, compute_dtype, name="forward")
            self.backward = GRU(d_model, d_hidden, compute_dtype, name="backward")

    def __call__(self, x: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
        reversed_x = tf.reverse_sequence(x, lengths, seq_axis=1, batch_axis=0)
        backward = tf.reverse_sequence(self.backward(reversed_x, lengths), lengths, seq_axis=1,
                                       batch_axis=0)
        return self.forward(x, lengths) + backward
