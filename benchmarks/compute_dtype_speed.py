"""Forward + backward time of a DeepSpeech2 hparams set with float32 and bfloat16 compute.

    python benchmarks/compute_dtype_speed.py --hparams_set=deepspeech2_cpu --repeats=3
    python benchmarks/compute_dtype_speed.py --hparams="num_rnn_layers=4"   # a variant of the set

Runs the set's model (SpecAugment as configured, in training mode) and its CTC loss on a fixed batch
of random features, [batch, frames, 80] with transcripts of `--transcript_length` characters, and
times one gradient step (no optimizer update, no input pipeline) after a warm-up call. The two
dtypes alternate `--repeats` times so that drifts of the machine hit both; prints a Markdown table
of the median milliseconds per step.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import tensorflow as tf

import t2t.hparams  # noqa: F401  (registers the sets)
import t2t.models  # noqa: F401  (registers the models)
import t2t.train.trainer  # noqa: F401  (TrainHparams and the other configurables the sets bind)
from t2t import config, registry
from t2t.layers import weights
from t2t.layers.random import SeedStream
from t2t.model import ProblemInfo
from t2t.speech.modality import AudioModality

DTYPES = ("float32", "bfloat16")


def step_milliseconds(args: argparse.Namespace, dtype: str, features: dict) -> list[float]:
    """Milliseconds of each of `args.steps` gradient steps of a fresh model computing in `dtype`."""
    overrides = ",".join(filter(None, [args.hparams, f"compute_dtype='{dtype}'"]))
    config.configure(args.hparams_set, overrides)
    weights.reset_default_seed(0)
    info = ProblemInfo(AudioModality(80), 30)
    model = registry.models.get("deepspeech2")(info)
    seeds = tf.constant([1, 2], tf.int64)

    @tf.function
    def gradient_step():
        with tf.GradientTape() as tape:
            logits = model(features, training=True, seeds=SeedStream(seeds))
            loss_sum, _ = model.loss(logits, features)
        return tape.gradient(loss_sum, model.trainable_variables)

    gradient_step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        gradient_step()
        times.append(1000 * (time.perf_counter() - start))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hparams_set", default="deepspeech2_cpu")
    parser.add_argument("--hparams", default="", help="overrides of the set, as for t2t-trainer")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--transcript_length", type=int, default=40)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    features = {
        "inputs": tf.constant(rng.standard_normal([args.batch, args.frames, 80]), tf.float32),
        "targets": tf.constant(rng.integers(2, 30, [args.batch, args.transcript_length]),
                               tf.int32)}
    times = {dtype: [] for dtype in DTYPES}
    for _ in range(args.repeats):
        for dtype in DTYPES:
            times[dtype] += step_milliseconds(args, dtype, features)
    base = statistics.median(times["float32"])
    print(f"{args.hparams_set} {args.hparams}, [{args.batch}, {args.frames}, 80] features, "
          "forward + backward:")
    print("| compute_dtype | ms per step (median) | vs float32 |")
    print("|---|---|---|")
    for dtype in DTYPES:
        median = statistics.median(times[dtype])
        print(f"| {dtype} | {median:.0f} | {median / base:.2f}× |")


if __name__ == "__main__":
    main()
