"""Test-time adaptation of a CTC model to one utterance: entropy minimization on its norm layers.

A speech model trained on a few voices meets an unseen accent at test time. Before one utterance
is decoded, a few Adam steps lower the entropy of the model's own frame posteriors on that
utterance, moving only the scales and biases of its normalization layers (single-utterance
test-time adaptation, Lin et al. 2022, "SUTA"); afterwards the trained weights are restored. No
transcript and no other utterance is used, so each utterance is decoded by the trained model
adapted to it alone, in any batch and any order.

    adapter = UtteranceAdapter(model, steps=10, learning_rate=1e-3)
    with adapter.adapted(inputs):           # inputs float32 [1, frames, features]
        outputs = model.infer({"inputs": inputs}, params)

The model is a `t2t.speech.ctc_model.CtcModel` (its `decoding_logits(features)` → (logits [batch,
T', vocab], lengths int32 [batch])) with normalization layers from `t2t.layers` (`LayerNorm`,
`FrameLayerNorm`); `CtcModel.example_adapter` builds the adapter from the decode params. The
objective is the mean over the T' valid frames of the entropy (nats) of
softmax(logits / temperature).
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Iterator

import tensorflow as tf

from t2t.layers.conv import FrameLayerNorm
from t2t.layers.core import LayerNorm
from t2t.model import ExampleAdapter, Model

if TYPE_CHECKING:  # the CTC model builds its adapter, so this module cannot import it at run time
    from t2t.speech.ctc_model import CtcModel


def normalization_variables(model: Model) -> list[tf.Variable]:
    """The scales and biases of every `LayerNorm` and `FrameLayerNorm` in `model`."""
    layers = [module for module in model.submodules
              if isinstance(module, (LayerNorm, FrameLayerNorm))]
    return [variable for layer in layers for variable in layer.trainable_variables]


def mean_frame_entropy(logits: tf.Tensor, lengths: tf.Tensor,
                       temperature: float = 1.0) -> tf.Tensor:
    """logits [batch, frames, vocab], lengths int32 [batch] → scalar: the entropy (nats) of
    softmax(logits / temperature), averaged over the valid frames of the batch."""
    log_probs = tf.nn.log_softmax(logits / temperature)
    entropy = -tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1)          # [batch, frames]
    valid = tf.sequence_mask(lengths, tf.shape(entropy)[1], dtype=entropy.dtype)
    return tf.reduce_sum(entropy * valid) / tf.maximum(tf.reduce_sum(valid), 1.0)


class UtteranceAdapter(ExampleAdapter):
    """Adapts `model`'s normalization layers to one utterance at a time (see the module docstring).

    Args:
      model: a CTC model with `t2t.layers` normalization layers.
      steps: Adam steps per utterance (≥ 1).
      learning_rate: Adam's step size.
      temperature: the posteriors' softmax temperature in the objective (> 0).
    """

    def __init__(self, model: CtcModel, steps: int, learning_rate: float,
                 temperature: float = 1.0):
        self.variables = normalization_variables(model)
        if not self.variables:
            raise ValueError(f"test-time adaptation: {type(model).__name__} has no LayerNorm or "
                             f"FrameLayerNorm layers to adapt")
        if steps < 1 or learning_rate <= 0 or temperature <= 0:
            raise ValueError(f"test-time adaptation needs steps >= 1, learning_rate > 0 and "
                             f"temperature > 0; got {steps}, {learning_rate}, {temperature}")
        self.model, self.steps, self.temperature = model, steps, temperature
        self.optimizer = tf.keras.optimizers.Adam(learning_rate)
        self.optimizer.build(self.variables)
        # Its step count and moments before any step (its learning rate is a variable too).
        self._fresh_optimizer = [variable.numpy() for variable in self.optimizer.variables]
        self._step = tf.function(self._adapt_step, reduce_retracing=True)

    def _adapt_step(self, inputs: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            logits, lengths = self.model.decoding_logits({"inputs": inputs})
            loss = mean_frame_entropy(logits, lengths, self.temperature)
        self.optimizer.apply_gradients(zip(tape.gradient(loss, self.variables), self.variables))
        return loss

    @contextlib.contextmanager
    def adapted(self, inputs: tf.Tensor) -> Iterator[list[float]]:
        """Within the block the model is adapted to `inputs` (float32 [1, frames, features]);
        yields the objective before each step. The trained values are restored on exit."""
        if inputs.shape[0] != 1:
            raise ValueError(f"test-time adaptation takes one utterance at a time; got a batch of "
                             f"{inputs.shape[0]}")
        trained = [variable.read_value() for variable in self.variables]
        for variable, value in zip(self.optimizer.variables, self._fresh_optimizer):
            variable.assign(value)
        try:
            yield [float(self._step(inputs)) for _ in range(self.steps)]
        finally:
            for variable, value in zip(self.variables, trained):
                variable.assign(value)
