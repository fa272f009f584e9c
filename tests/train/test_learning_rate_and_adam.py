import numpy as np
import pytest
import tensorflow as tf

from t2t.train import learning_rate, mesh, optimizers
from t2t.layers import weights


def test_t2t_schedule_values():
    schedule = lambda step: float(learning_rate.learning_rate_schedule(  # noqa: E731
        step, constant=2.0, warmup_steps=8000, hidden_size=512))
    assert schedule(4000) == pytest.approx(2.0 * 0.5 * 8000 ** -0.5 * 512 ** -0.5)
    assert schedule(8000) == pytest.approx(2.0 * 8000 ** -0.5 * 512 ** -0.5)
    assert schedule(32000) == pytest.approx(2.0 * 32000 ** -0.5 * 512 ** -0.5)
    peak = max(schedule(step) for step in range(1000, 20000, 1000))
    assert peak == pytest.approx(schedule(8000))


def test_unknown_schedule_factor_is_an_error():
    with pytest.raises(ValueError, match="unknown factor.*rsqrt_decy"):
        learning_rate.learning_rate_schedule(1, schedule="constant*rsqrt_decy")


def test_linear_decay_reaches_zero_at_decay_end_and_needs_it():
    schedule = lambda step: float(learning_rate.learning_rate_schedule(  # noqa: E731
        step, schedule="constant*linear_warmup*linear_decay", constant=3e-3, warmup_steps=200,
        decay_end=2300))
    assert schedule(100) == pytest.approx(1.5e-3)
    assert schedule(200) == pytest.approx(3e-3)
    assert schedule(1250) == pytest.approx(1.5e-3)
    assert schedule(2300) == 0.0 and schedule(5000) == 0.0
    with pytest.raises(ValueError, match="linear_decay needs decay_end"):
        learning_rate.learning_rate_schedule(1, schedule="constant*linear_decay", warmup_steps=200)


def test_adam_matches_the_closed_form():
    weights.reset_default_seed(0)
    plan = mesh.make_plan("")
    with plan.scope():
        variable = weights.create_weight("w", [3], ("d",), weights.ones())
        adam = optimizers.Adam([variable], beta1=0.9, beta2=0.997, epsilon=1e-9)
    gradients = [np.array([0.5, -1.0, 2.0], np.float32), np.array([0.1, 0.2, -0.3], np.float32)]

    @tf.function
    def step(gradient):
        plan.run(lambda _: adam.apply_gradients(plan, [gradient], tf.constant(0.01)), {})

    expected, m, v = np.ones(3), np.zeros(3), np.zeros(3)
    for t, gradient in enumerate(gradients, start=1):
        step(tf.constant(gradient))
        m = 0.9 * m + 0.1 * gradient
        v = 0.997 * v + 0.003 * gradient ** 2
        expected -= 0.01 * np.sqrt(1 - 0.997 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-9)
    np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5)
    assert int(adam.iterations.numpy()) == 2
    assert adam.first_moments[0].logical_axes == ("d",)
