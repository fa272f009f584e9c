"""The model contract every registered model fulfils.

A model is a `tf.Module` built from a problem's `ProblemInfo` (vocabulary sizes, modalities) plus
its own gin-configurable hyperparameters. Its weights all come from `t2t.layers.weights`, so the
same model runs on one device, under tf.distribute or under DTensor without mentioning devices.

Features are dicts of int32 tensors padded with `t2t.ids.PAD_ID` (0):
  "inputs":  [batch, input_length]  (absent for language models; float features for audio)
  "targets": [batch, target_length], each sequence ends with `t2t.ids.EOS_ID` (1) before its
             padding.
"""
from __future__ import annotations

import abc
import contextlib
import dataclasses

import tensorflow as tf

from t2t.decode.params import DecodeParams
from t2t.ids import PAD_ID
from t2t.layers.random import SeedStream
from t2t.modality import Modality


@dataclasses.dataclass(frozen=True)
class ProblemInfo:
    """What a model needs to know about the problem it is trained on.

    Attributes:
      inputs: the modality of the inputs (`SymbolModality(vocab_size)` for token ids, or e.g.
        `t2t.speech.modality.AudioModality`), which builds the model's input encoder.
      target_vocab_size: number of target symbols (targets are always symbols).
    """
    inputs: Modality
    target_vocab_size: int


class ExampleAdapter(abc.ABC):
    """Work around decoding each example alone, e.g. adapting the model to it first."""

    @abc.abstractmethod
    def adapted(self, inputs: tf.Tensor) -> contextlib.AbstractContextManager:
        """A context inside which the model decodes `inputs` (a batch of one example)."""


class Model(tf.Module):
    """Base class of registered models. Subclasses implement `__call__`, `loss` and `infer`.

    Declared extension points: `DECODE_PARAMS`, the `DecodeParams` subclass whose fields are this
    model's decode hparams (a model with decoding parameters of its own declares a subclass);
    `correct_predictions` (None when logits are not aligned with targets); `example_adapter`
    (work done around decoding each example alone).
    """

    DECODE_PARAMS: type[DecodeParams] = DecodeParams

    def __init__(self, problem_info: ProblemInfo, name: str | None = None):
        super().__init__(name=name)
        self.problem_info = problem_info

    def __call__(self, features: dict[str, tf.Tensor], training: bool,
                 seeds: SeedStream | None = None) -> tf.Tensor:
        """Teacher-forced forward pass → logits [batch, target_length, target_vocab_size].

        `seeds` feeds dropout; it must be given when `training` is True.
        """
        raise NotImplementedError

    def loss(self, logits: tf.Tensor, features: dict[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        """Returns (loss_sum, weight_sum): scalar sums over non-padding target positions.

        The trainer divides the sums over all replicas, so the loss is per token of the global batch
        whatever the number of devices.
        """
        raise NotImplementedError

    def correct_predictions(self, logits: tf.Tensor,
                            features: dict[str, tf.Tensor]) -> tf.Tensor | None:
        """float32 scalar: target tokens whose teacher-forced argmax is right, or None when the
        model's logits are not aligned with the targets (e.g. CTC over audio frames)."""
        targets = features["targets"]
        correct = tf.logical_and(tf.argmax(logits, -1, output_type=tf.int32) == targets,
                                 targets != PAD_ID)
        return tf.reduce_sum(tf.cast(correct, tf.float32))

    def infer(self, features: dict[str, tf.Tensor], params: DecodeParams) -> dict[str, tf.Tensor]:
        """Decodes without teacher forcing.

        Returns {"outputs": int32 [batch, length] (EOS and padding after it are 0/1 as decoded),
                 "scores": float32 [batch] (log-probability, length-penalized for beam search)}.
        """
        raise NotImplementedError

    def example_adapter(self, params: DecodeParams) -> ExampleAdapter | None:
        """What `params` asks to be done around decoding each example alone (e.g. test-time
        adaptation); None, the default, decodes examples in batches as they come."""
        del params
        return None
