"""Learning-rate schedules written as Tensor2Tensor's products of named factors.

    learning_rate_schedule(step, schedule="constant*linear_warmup*rsqrt_decay*rsqrt_hidden_size",
                           constant=2.0, warmup_steps=8000, hidden_size=512)

Factors:
  constant           `constant`
  linear_warmup      min(1, step / warmup_steps)
  rsqrt_decay        1 / sqrt(max(step, warmup_steps))
  rsqrt_hidden_size  1 / sqrt(hidden_size)
  linear_decay       max(0, (decay_end - step) / (decay_end - warmup_steps)), 1 before warmup ends
  noam               linear_warmup * rsqrt_decay (the schedule of "Attention Is All You Need")
"""
from __future__ import annotations

from typing import Callable

import gin
import tensorflow as tf

FACTORS = ("constant", "linear_warmup", "rsqrt_decay", "rsqrt_hidden_size", "linear_decay", "noam")


def check_schedule(schedule: str) -> list[str]:
    """Splits "a*b*c" into factor names; an unknown factor is a ValueError listing the known ones."""
    names = [name.strip() for name in schedule.split("*")]
    unknown = [name for name in names if name not in FACTORS]
    if unknown:
        raise ValueError(f"learning_rate_schedule={schedule!r}: unknown factor(s) "
                         f"{', '.join(unknown)}; known factors: {', '.join(FACTORS)}")
    return names


@gin.configurable(denylist=["step"])
def learning_rate_schedule(step: tf.Tensor,
                           schedule: str = "constant*linear_warmup*rsqrt_decay*rsqrt_hidden_size",
                           constant: float = 2.0, warmup_steps: int = 8000,
                           hidden_size: int = 512, decay_end: int = 0) -> tf.Tensor:
    """The learning rate at `step` (1-based: the step being taken), float32 scalar."""
    names = check_schedule(schedule)
    if "linear_decay" in names and decay_end <= warmup_steps:
        raise ValueError(f"learning_rate_schedule={schedule!r}: linear_decay needs decay_end "
                         f"(the step where the rate reaches 0) > warmup_steps={warmup_steps}, got "
                         f"decay_end={decay_end}")
    step = tf.cast(step, tf.float32)
    warmup = float(max(warmup_steps, 1))
    factors: dict[str, Callable[[], tf.Tensor]] = {
        "constant": lambda: tf.constant(constant, tf.float32),
        "linear_warmup": lambda: tf.minimum(1.0, step / warmup),
        "rsqrt_decay": lambda: tf.math.rsqrt(tf.maximum(step, warmup)),
        "rsqrt_hidden_size": lambda: tf.constant(float(hidden_size) ** -0.5),
        "linear_decay": lambda: tf.clip_by_value(
            (float(decay_end) - step) / max(float(decay_end) - warmup, 1.0), 0.0, 1.0),
        "noam": lambda: tf.minimum(1.0, step / warmup) * tf.math.rsqrt(tf.maximum(step, warmup)),
    }
    rate = tf.constant(1.0, tf.float32)
    for name in names:
        rate *= factors[name]()
    return rate
