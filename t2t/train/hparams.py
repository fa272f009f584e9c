"""What a training run is configured with: hparams from the set (gin) and options from the flags.

`TrainHparams` belongs to the hparams set, so that a set says how its model is trained; the
decoder reads a run's config.gin, which binds it, without importing the trainer. `RunOptions`
are the trainer's command-line flags.
"""
from __future__ import annotations

import dataclasses

import gin

from t2t.decode.params import DecodeParams


@gin.configurable
@dataclasses.dataclass
class TrainHparams:
    """Training hyperparameters that belong to the hparams set (gin), not to the command line.

    Attributes:
      batch_size: tokens per step over the whole mesh (each replica gets 1/num_replicas of the
        rows); the padded length of a batch times its number of sequences stays within it.
      max_length: longest example (in tokens, inputs or targets) used for training; longer ones
        are dropped and counted in the log.
      optimizer: name in `t2t.train.optimizers.OPTIMIZERS`.
      shuffle_buffer: examples held for shuffling the training data.
      eval_batch_size: sentences per teacher-forced eval batch.
      clip_gradient_norm: if > 0, gradients are scaled down to this global norm (after summing
        over replicas); DeepSpeech2 trains with it.
    """
    batch_size: int = 4096
    max_length: int = 256
    optimizer: str = "adam"
    shuffle_buffer: int = 10_000
    eval_batch_size: int = 64
    clip_gradient_norm: float = 0.0


@dataclasses.dataclass
class RunOptions:
    """Options of one training run (the trainer's command-line flags).

    Attributes:
      eval_steps: teacher-forced eval batches per evaluation; 0 means the whole dev split.
      eval_decode_examples: dev examples decoded (autoregressively) per evaluation for the
        problem's decode metrics; 0 turns decoding eval off.
      eval_decode_params: how those examples are decoded (greedy by default).
    """
    output_dir: str
    data_dir: str
    tmp_dir: str = ""
    train_steps: int = 1000
    eval_every: int = 1000
    eval_steps: int = 0
    eval_decode_examples: int = 100
    eval_decode_params: DecodeParams = DecodeParams()
    checkpoint_every: int = 1000
    keep_checkpoints: int = 5
    log_every: int = 100
    random_seed: int = 0
    xla_compile: bool = False
