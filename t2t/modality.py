"""What a problem's inputs are, and how a model turns them into vectors.

A problem declares the modality of its inputs in `ProblemInfo.inputs`; a model asks that modality
for its input encoder, so that one model body serves symbols, audio, or any modality a package
defines (T2T's modalities):

    encoder = problem_info.inputs.input_encoder(d_model)
    x, padding = encoder(inputs, training, seeds)    # [batch, length', d_model], [batch, length']

`SymbolModality` (token ids) is defined here; `t2t.speech.modality.AudioModality` (log-mel
features through a convolutional front end) lives with the speech code.
"""
from __future__ import annotations

import abc
import dataclasses

import tensorflow as tf

from t2t.ids import PAD_ID
from t2t.layers.core import Embedding
from t2t.layers.random import SeedStream
from t2t.layers.shapes import check_shape


class InputEncoder(tf.Module, abc.ABC):
    """Turns a batch of one modality's inputs into vectors a sequence model reads."""

    @abc.abstractmethod
    def __call__(self, inputs: tf.Tensor, training: bool,
                 seeds: SeedStream | None = None) -> tuple[tf.Tensor, tf.Tensor]:
        """inputs [batch, length, ...] → (x float32 [batch, length', d_model], padding float32
        [batch, length']: 1.0 where x is padding, else 0.0)."""

    @abc.abstractmethod
    def output_length(self, input_length: int | tf.Tensor) -> int | tf.Tensor:
        """length' of `input_length` inputs (int, or an int32 tensor of any shape)."""


class Modality(abc.ABC):
    """The kind of a problem's inputs; it builds the input encoder a model uses for them."""

    @abc.abstractmethod
    def input_encoder(self, d_model: int, shared_embedding: Embedding | None = None,
                      name: str = "input_encoder") -> InputEncoder:
        """A new encoder to width `d_model`. `shared_embedding` is a table the model offers to
        share; a modality may use it only where `can_share_embedding` says so."""

    def can_share_embedding(self, vocab_size: int) -> bool:
        """Whether inputs can be embedded by a table of `vocab_size` symbols (the targets')."""
        del vocab_size
        return False


@dataclasses.dataclass(frozen=True)
class SymbolModality(Modality):
    """Token ids int32 [batch, length], padded with PAD_ID, from a vocabulary of `vocab_size`."""
    vocab_size: int

    def can_share_embedding(self, vocab_size: int) -> bool:
        return vocab_size == self.vocab_size

    def input_encoder(self, d_model: int, shared_embedding: Embedding | None = None,
                      name: str = "input_embedding") -> InputEncoder:
        if shared_embedding is not None and not self.can_share_embedding(
                shared_embedding.vocab_size):
            raise ValueError(f"{name}: cannot share a table of {shared_embedding.vocab_size} "
                             f"symbols with inputs of {self.vocab_size}")
        return SymbolEncoder(shared_embedding or Embedding(self.vocab_size, d_model, name=name))


class SymbolEncoder(InputEncoder):
    """ids [batch, length] → `embed_symbols` vectors [batch, length, d_model]; PAD_ID is padding."""

    def __init__(self, embedding: Embedding):
        super().__init__(name="symbol_encoder")
        self.embedding = embedding

    def __call__(self, inputs: tf.Tensor, training: bool,
                 seeds: SeedStream | None = None) -> tuple[tf.Tensor, tf.Tensor]:
        check_shape(inputs, "[batch, input_length]", self.name)
        padding = tf.cast(tf.equal(inputs, PAD_ID), tf.float32)
        return embed_symbols(self.embedding, inputs), padding

    def output_length(self, input_length: int | tf.Tensor) -> int | tf.Tensor:
        return input_length


def embed_symbols(embedding: Embedding, ids: tf.Tensor) -> tf.Tensor:
    """ids [batch, length] → table rows · √d_model, and 0 for PAD_ID (as T2T's symbol modality):
    [batch, length, d_model]."""
    not_pad = tf.cast(tf.not_equal(ids, PAD_ID), tf.float32)[..., None]
    return embedding(ids) * (embedding.d_model ** 0.5) * not_pad
