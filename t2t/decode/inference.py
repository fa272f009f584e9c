"""Decoding many examples with a trained model: batching, padding, and ids ↔ text.

    decoder = Inference(problem, model, DecodeParams(beam_size=4))
    decoder.decode_texts(["1 2 3"])                       → ["3 2 1"]
    decoder.decode_split(data_dir, "test", 200)           → (hypotheses, references)

Examples are sorted by length and decoded in batches of `params.batch_size`, then returned in
their original order. When the model has an adapter for `params` (`Model.example_adapter`, e.g.
test-time adaptation of a CTC model), each example is decoded alone, inside the adapter.
"""
from __future__ import annotations

import contextlib
from typing import Sequence

import numpy as np
import tensorflow as tf

from t2t.decode.params import DecodeParams
from t2t.ids import EOS_ID, PAD_ID
from t2t.model import Model
from t2t.problem import Problem


class Inference:
    """Runs `model.infer` (one `tf.function`) over lists of examples."""

    def __init__(self, problem: Problem, model: Model, params: DecodeParams):
        self.problem, self.model, self.params = problem, model, params
        self._infer = tf.function(lambda inputs: model.infer({"inputs": inputs}, params),
                                  reduce_retracing=True)
        self._adapter = model.example_adapter(params)

    def decode_ids(self, inputs: Sequence[Sequence[int] | np.ndarray]) -> list[list[int]]:
        """Decodes inputs → output ids, cut before the first EOS.

        Each input is an id sequence ending with EOS, or a float array [frames, features] (audio);
        a batch is padded with zeros to its longest input.
        """
        inputs = [np.asarray(example) for example in inputs]
        outputs: list[list[int]] = [[] for _ in inputs]
        order = sorted(range(len(inputs)), key=lambda index: len(inputs[index]))
        batch_size = 1 if self._adapter else self.params.batch_size
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            longest = max(len(inputs[index]) for index in chunk)
            first = inputs[chunk[0]]
            padded = np.full([len(chunk), longest, *first.shape[1:]], PAD_ID,
                             np.int32 if first.dtype.kind in "iu" else np.float32)
            for row, index in enumerate(chunk):
                padded[row, :len(inputs[index])] = inputs[index]
            decoded = self._decode_batch(tf.constant(padded))
            for row, index in enumerate(chunk):
                outputs[index] = _until_eos(decoded[row])
        return outputs

    def _decode_batch(self, inputs: tf.Tensor) -> np.ndarray:
        """inputs [batch, length, ...] → output ids [batch, output_length] (one example when
        adapting)."""
        with self._adapter.adapted(inputs) if self._adapter else contextlib.nullcontext():
            return self._infer(inputs)["outputs"].numpy()

    def decode_texts(self, texts: Sequence[str]) -> list[str]:
        """Encodes each text with the problem's input codec, decodes, returns target text.

        Inputs that the problem stores as symbols (`Problem.SYMBOL_FEATURES`) get EOS, as in the
        stored data; other inputs (e.g. audio features from a wav path) are used as
        `encode_inputs` returns them.
        """
        inputs = [self.problem.encode_inputs(text) for text in texts]
        if "inputs" in self.problem.SYMBOL_FEATURES:
            inputs = [ids + [EOS_ID] for ids in inputs]
        return [self.problem.decode_targets(ids) for ids in self.decode_ids(inputs)]

    def decode_split(self, data_dir: str, split: str,
                     max_examples: int = 0) -> tuple[list[str], list[str]]:
        """Decodes the first `max_examples` (0 = all) of a split → (hypotheses, references)."""
        dataset = self.problem.dataset(split, data_dir)
        if max_examples:
            dataset = dataset.take(max_examples)
        inputs, references = [], []
        for example in dataset.as_numpy_iterator():
            inputs.append(example["inputs"])
            references.append(self.problem.decode_targets(example["targets"].tolist()))
        hypotheses = [self.problem.decode_targets(ids) for ids in self.decode_ids(inputs)]
        return hypotheses, references


def _until_eos(ids: np.ndarray) -> list[int]:
    ids = ids.tolist()
    return ids[:ids.index(EOS_ID)] if EOS_ID in ids else [i for i in ids if i != PAD_ID]
