"""Averaging the weights of a run's last N checkpoints (Tensor2Tensor's t2t-avg-all).

The average of the last few checkpoints of a Transformer usually decodes a little better than the
last one alone. The result is written as a run directory of its own — a checkpoint plus a copy of
config.gin — so `t2t-decoder --output_dir=<avg_dir>` decodes with it like with any run.
"""
from __future__ import annotations

import os
import shutil

import numpy as np
import tensorflow as tf
from absl import logging

from t2t import config


def last_checkpoints(output_dir: str, count: int) -> list[str]:
    """The `count` newest checkpoints of a run, oldest first; an error if it has fewer."""
    state = tf.train.get_checkpoint_state(output_dir)
    paths = list(state.all_model_checkpoint_paths) if state else []
    if count < 1 or len(paths) < count:
        raise ValueError(f"asked to average {count} checkpoints but {output_dir} keeps "
                         f"{len(paths)} ({', '.join(map(os.path.basename, paths)) or 'none'})")
    return paths[-count:]


def average_into(model: tf.Module, checkpoint_paths: list[str]) -> None:
    """Sets every variable of `model` to its mean over the checkpoints (float64 accumulation)."""
    checkpoint = tf.train.Checkpoint(model=model)
    sums = [np.zeros(variable.shape, np.float64) for variable in model.variables]
    for path in checkpoint_paths:
        checkpoint.read(path).expect_partial().assert_existing_objects_matched()
        for total, variable in zip(sums, model.variables):
            total += variable.numpy()
    for total, variable in zip(sums, model.variables):
        variable.assign((total / len(checkpoint_paths)).astype(variable.dtype.as_numpy_dtype))


def write_averaged_run(model: tf.Module, output_dir: str, avg_dir: str, step: int) -> str:
    """Saves `model` as checkpoint `step` of a new run in `avg_dir` with the run's config.gin.

    Returns the checkpoint path. The checkpoint is written by TensorFlow's manager (temporary
    files renamed into place), and config.gin is copied last, so a directory with a config.gin
    always holds a whole checkpoint.
    """
    os.makedirs(avg_dir, exist_ok=True)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model), avg_dir, max_to_keep=1)
    path = manager.save(checkpoint_number=step)
    temporary = os.path.join(avg_dir, f".{config.CONFIG_FILE}.partial")
    shutil.copyfile(os.path.join(output_dir, config.CONFIG_FILE), temporary)
    os.replace(temporary, os.path.join(avg_dir, config.CONFIG_FILE))
    logging.info("wrote the average to %s", path)
    return path
