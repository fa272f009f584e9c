"""Optimizers whose state is created through `t2t.layers.weights`, so it lives where the weights do.

An optimizer is built from the model's trainable variables and updates them through the mesh plan:

    optimizer = Adam(model.trainable_variables)
    optimizer.apply_gradients(plan, gradients, learning_rate)   # inside the plan's replica_fn

Slots carry the logical axes of their weight, so under DTensor they are sharded like it.
"""
from __future__ import annotations

from typing import Sequence

import gin
import tensorflow as tf

from t2t.layers import weights


@gin.configurable
class Adam(tf.Module):
    """Adam with bias correction, as Tensor2Tensor used it (β1 0.9, β2 0.997, ε 1e-9 in its sets).

    update: m ← β1·m + (1-β1)·g;  v ← β2·v + (1-β2)·g²;
            w ← w - lr·√(1-β2ᵗ)/(1-β1ᵗ) · m / (√v + ε)
    """

    def __init__(self, variables: Sequence[tf.Variable], beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-9, name: str = "adam"):
        super().__init__(name=name)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self._variables = list(variables)
        self.iterations = weights.create_weight("iterations", [], (), weights.zeros(), tf.int64,
                                                trainable=False)
        with self.name_scope:
            self.first_moments = [self._slot(v, "m") for v in self._variables]
            self.second_moments = [self._slot(v, "v") for v in self._variables]

    @staticmethod
    def _slot(variable: tf.Variable, kind: str) -> tf.Variable:
        return weights.create_weight(f"{variable.name.split(':')[0]}/{kind}", variable.shape,
                                     variable.logical_axes, weights.zeros(), variable.dtype,
                                     trainable=False)

    def apply_gradients(self, plan, gradients: Sequence[tf.Tensor], learning_rate: tf.Tensor) -> None:
        """Applies one update; `gradients` must already be summed over replicas."""
        if len(gradients) != len(self._variables):
            raise ValueError(f"{len(gradients)} gradients for {len(self._variables)} variables")
        step = tf.cast(self.iterations + 1, tf.float32)
        corrected_rate = (learning_rate * tf.sqrt(1.0 - tf.pow(self.beta2, step))
                          / (1.0 - tf.pow(self.beta1, step)))
        beta1, beta2, epsilon = self.beta1, self.beta2, self.epsilon

        def update(variable, gradient, first, second, rate):
            first_new = first.assign(beta1 * first + (1.0 - beta1) * gradient)
            second_new = second.assign(beta2 * second + (1.0 - beta2) * tf.square(gradient))
            return variable.assign_sub(rate * first_new / (tf.sqrt(second_new) + epsilon))

        plan.apply_updates(update, self._variables, [
            (gradient, first, second, corrected_rate)
            for gradient, first, second in zip(gradients, self.first_moments, self.second_moments)])
        plan.apply_updates(lambda iterations: iterations.assign_add(1), [self.iterations], [()])


OPTIMIZERS = {"adam": Adam}


def make_optimizer(name: str, variables: Sequence[tf.Variable]) -> tf.Module:
    """Builds the optimizer registered as `name` (gin supplies its hyperparameters)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](variables)
