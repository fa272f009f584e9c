"""The one helper through which every weight in every model is created.

    kernel = create_weight("kernel", [d_model, num_heads, d_kv], ("d_model", "heads", "d_kv"),
                           initializer=glorot_uniform(fan_in=d_model, fan_out=num_heads * d_kv))

Model code names the *logical* axes of each weight; the active mesh plan (`t2t.train.mesh`) decides where
the weight lives (a mirrored variable under tf.distribute, a sharded DVariable under DTensor).
Outside any plan the weight is an ordinary `tf.Variable` on the default device, which is what unit
tests of single layers use.

Initial values are drawn with stateless ops from `(plan seed, creation index)`, so a model built twice
with the same seed and the same code has identical weights, whatever the number of devices.
"""
from __future__ import annotations

import math
from typing import Callable, Protocol, Sequence

import tensorflow as tf

# An initializer maps (shape, dtype, seed [2] int64) to a tensor of that shape.
Initializer = Callable[[Sequence[int], tf.DType, tf.Tensor], tf.Tensor]


class WeightFactory(Protocol):
    """What a mesh plan implements so that `create_weight` can place weights."""

    def create_variable(self, name: str, initial_value: Callable[[], tf.Tensor],
                        shape: Sequence[int], dtype: tf.DType, axes: Sequence[str],
                        trainable: bool) -> tf.Variable:
        ...

    def next_weight_seed(self) -> tf.Tensor:
        ...


class _DefaultFactory:
    """Plain `tf.Variable`s on the default device; used when no plan is active."""

    def __init__(self, seed: int = 0):
        self._seed = seed
        self._count = 0

    def create_variable(self, name, initial_value, shape, dtype, axes, trainable):
        del shape, axes
        return tf.Variable(initial_value, name=name, dtype=dtype, trainable=trainable)

    def next_weight_seed(self) -> tf.Tensor:
        self._count += 1
        return tf.constant([self._seed, self._count], tf.int64)


_factories: list[WeightFactory] = [_DefaultFactory()]


def push_factory(factory: WeightFactory) -> None:
    """Makes `factory` create all weights until `pop_factory` (used by `Plan.scope`)."""
    _factories.append(factory)


def pop_factory() -> None:
    if len(_factories) == 1:
        raise RuntimeError("pop_factory called without a matching push_factory")
    _factories.pop()


def reset_default_seed(seed: int) -> None:
    """Restarts the default (no-plan) weight seeds; tests use it to build identical models."""
    _factories[0] = _DefaultFactory(seed)


def create_weight(name: str, shape: Sequence[int], axes: Sequence[str],
                  initializer: Initializer, dtype: tf.DType = tf.float32,
                  trainable: bool = True) -> tf.Variable:
    """Creates a weight of `shape` whose dimensions are the logical `axes` (one name per dim).

    Args:
      name: short name, unique within the calling module ("kernel", "scale", ...).
      shape: static shape, e.g. [vocab, d_model].
      axes: logical axis names, same length as `shape`, e.g. ("vocab", "d_model").
      initializer: see `Initializer`.
    """
    shape = [int(dim) for dim in shape]
    if len(axes) != len(shape):
        raise ValueError(f"weight {name!r}: {len(shape)} dims {shape} but {len(axes)} axes {axes}")
    factory = _factories[-1]
    seed = factory.next_weight_seed()
    variable = factory.create_variable(
        name, lambda: initializer(shape, dtype, seed), shape, dtype, tuple(axes), trainable)
    variable.logical_axes = tuple(axes)
    return variable


def zeros() -> Initializer:
    return lambda shape, dtype, seed: tf.zeros(shape, dtype)


def ones() -> Initializer:
    return lambda shape, dtype, seed: tf.ones(shape, dtype)


def normal(stddev: float) -> Initializer:
    """Normal(0, stddev²)."""
    return lambda shape, dtype, seed: tf.random.stateless_normal(shape, seed, stddev=stddev,
                                                                 dtype=dtype)


def uniform(limit: float) -> Initializer:
    """Uniform on [-limit, limit)."""
    return lambda shape, dtype, seed: tf.random.stateless_uniform(
        shape, seed, minval=-limit, maxval=limit, dtype=dtype)


def glorot_uniform(fan_in: int, fan_out: int) -> Initializer:
    """Glorot/Xavier uniform with explicit fans (weights may have more than two dims)."""
    return uniform(math.sqrt(6.0 / (fan_in + fan_out)))
