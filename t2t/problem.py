"""The Problem base class: a task's data end to end, from generated samples to a `tf.data.Dataset`.

A subclass says what the model sees (`info`), how samples are made (`generate_samples`) and how
text maps to ids (`encode`/`decode`); the base class writes the shards, reads them back and scores
decodes.

    @register_problem
    class AlgorithmicReverse(Problem): ...

    problem = AlgorithmicReverse()
    problem.generate_data(data_dir, tmp_dir)            # what t2t-datagen does
    dataset = problem.dataset("train", data_dir)        # {"inputs": int32 [None], "targets": ...}

Samples are generated without EOS; the base class appends `EOS_ID` to "inputs" and "targets" when
it writes them, so every stored sequence ends with EOS (T2T style). `encode_inputs` likewise returns
ids without EOS, and whoever feeds them to a model appends EOS_ID as datagen does.

A problem whose codec is learned from its data (e.g. sentencepiece vocabularies) overrides two
hooks: `build_vocabularies`, which `generate_data` runs before writing any split, and
`load_vocabularies`, which a process that did not generate the data (trainer, decoder) calls
before `info`, `encode` or `decode`:

    problem.load_vocabularies(data_dir)                 # then problem.info() etc.

Stored examples are read back in two public steps a problem may override (T2T's hooks):
`example_reading_spec` (how a record is parsed) and `preprocess_example` (what the model gets from
the parsed tensors, e.g. audio features from stored samples).
"""
from __future__ import annotations

import abc
import os
import time
from collections.abc import Iterable, Iterator, Sequence

import tensorflow as tf
from absl import logging

from t2t.data import shards
from t2t.ids import EOS_ID, PAD_ID
from t2t.metrics.text import exact_match
from t2t.model import ProblemInfo
from t2t.registry import snake_case


class Problem(abc.ABC):
    """Base class of registered problems.

    Subclasses implement `info`, `generate_samples`, `encode` and `decode`; they may override
    `num_shards`, `encode_inputs`/`decode_targets` (e.g. separate input and target vocabularies),
    `build_vocabularies`/`load_vocabularies` (a codec learned from the data),
    `example_reading_spec`/`preprocess_example` (how stored examples are read back) and
    `decode_metrics` (e.g. to add BLEU).
    """

    SPLITS = ("train", "dev", "test")
    # The features every sample has.
    FEATURES = ("inputs", "targets")
    # The features that are id sequences: each must avoid the reserved ids and gets EOS appended
    # when written. Other features (e.g. audio samples) are stored as generated.
    SYMBOL_FEATURES = ("inputs", "targets")
    # Shards read at once when `dataset(shuffle_files=True)` interleaves them (fixed, not AUTOTUNE,
    # so the order of examples does not depend on the machine's core count).
    SHUFFLED_READ_CYCLE = 8

    @property
    def name(self) -> str:
        """The registered name, which names the data files (snake_case if unregistered)."""
        # `registered_name` is looked up on this exact class, not inherited: an unregistered
        # subclass of a registered problem must not write its data under its parent's name.
        return vars(type(self)).get("registered_name") or snake_case(type(self).__name__)

    @abc.abstractmethod
    def info(self) -> ProblemInfo:
        """Vocabulary sizes and modalities, for building a model."""

    @abc.abstractmethod
    def generate_samples(self, split: str, tmp_dir: str) -> Iterator[dict[str, list[int]]]:
        """Yields the samples of `split` as {"inputs": ids, "targets": ids}, ids WITHOUT EOS.

        Ids must not contain PAD_ID (0) or EOS_ID (1). `tmp_dir` is scratch space for downloads
        and raw files.
        """

    @abc.abstractmethod
    def encode(self, text: str) -> list[int]:
        """Text → ids, without EOS."""

    @abc.abstractmethod
    def decode(self, ids: Sequence[int]) -> str:
        """Ids (no EOS, no padding) → text."""

    def num_shards(self, split: str) -> int:
        """How many files `split` is written to."""
        return 10 if split == "train" else 1

    def has_data(self, data_dir: str) -> bool:
        """True iff every split has all of its shards in `data_dir`."""
        return all(shards.split_is_complete(data_dir, self.name, split) for split in self.SPLITS)

    def build_vocabularies(self, data_dir: str, tmp_dir: str) -> None:
        """Makes the codec usable before any sample is encoded: e.g. trains vocabularies on the
        train split, saves them in `data_dir` (atomically) and loads them; if they are already
        there, just loads them. Run by `generate_data`. The default does nothing."""

    def load_vocabularies(self, data_dir: str) -> None:
        """Loads what `build_vocabularies` saved in `data_dir`, so that `info`, `encode` and
        `decode` work in a process that did not generate the data. The default does nothing."""

    def generate_data(self, data_dir: str, tmp_dir: str) -> None:
        """Builds (or loads) the vocabularies, then writes each split that `data_dir` lacks,
        atomically; complete splits are left alone."""
        os.makedirs(tmp_dir, exist_ok=True)
        self.build_vocabularies(data_dir, tmp_dir)
        for split in self.SPLITS:
            if shards.split_is_complete(data_dir, self.name, split):
                logging.info("%s %s data already in %s; skipping", self.name, split, data_dir)
                continue
            start = time.time()
            shards.write_shards(self._stored_samples(self.generate_samples(split, tmp_dir)),
                                data_dir, self.name, split, self.num_shards(split))
            logging.info("Generated %s %s data in %.1f s", self.name, split, time.time() - start)

    def dataset(self, split: str, data_dir: str, shuffle_files: bool = False) -> tf.data.Dataset:
        """The examples of `split`, one at a time, unbatched.

        Returns:
          A dataset of {"inputs": int32 [length], "targets": int32 [length]}, each ending with EOS.
          Files are read one after another in shard order unless `shuffle_files`, which shuffles
          the shards (seeded by TF's global seed) and interleaves reading a few at a time.

        Raises:
          FileNotFoundError: if the split's shards are missing or incomplete.
        """
        files = shards.split_files(data_dir, self.name, split)
        if not shards.split_is_complete(data_dir, self.name, split):
            raise FileNotFoundError(
                f"no complete {split!r} data for problem {self.name!r} in {data_dir!r} (found "
                f"{len(files)} shard file(s)); run `t2t-datagen --problem={self.name} "
                f"--data_dir={data_dir}` or let t2t-trainer generate it.")
        if shuffle_files:
            filenames = tf.data.Dataset.from_tensor_slices(files).shuffle(len(files))
            records = filenames.interleave(
                tf.data.TFRecordDataset, cycle_length=min(len(files), self.SHUFFLED_READ_CYCLE),
                num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        else:
            records = tf.data.TFRecordDataset(files)
        return records.map(self._read_record, num_parallel_calls=tf.data.AUTOTUNE)

    def example_reading_spec(self) -> dict[str, tf.io.RaggedFeature]:
        """How a stored record is parsed: every feature a ragged int64 list by default."""
        return {feature: tf.io.RaggedFeature(tf.int64) for feature in self.FEATURES}

    def preprocess_example(self, example: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Parsed tensors (per `example_reading_spec`) → what the model reads; by default every
        feature as int32 [length]. Runs in the tf.data pipeline."""
        return {feature: tf.cast(value, tf.int32) for feature, value in example.items()}

    def encode_inputs(self, text: str) -> list[int]:
        """Text → input ids WITHOUT EOS, like `generate_samples` gives them (append EOS_ID to
        feed a model)."""
        return self.encode(text)

    def decode_targets(self, ids: Sequence[int]) -> str:
        """Decoded target ids → text: cut at the first EOS, drop padding, then `decode`."""
        ids = [int(i) for i in ids]
        if EOS_ID in ids:
            ids = ids[:ids.index(EOS_ID)]
        return self.decode([i for i in ids if i != PAD_ID])

    def decode_metrics(self, hypotheses: list[str], references: list[str]) -> dict[str, float]:
        """Scores decoded texts against references: {"exact_match": fraction in [0, 1]}.

        Strings are compared after stripping surrounding whitespace.
        """
        return {"exact_match": exact_match(hypotheses, references)}

    def _stored_samples(self, samples: Iterable[dict[str, list]]) -> Iterator[dict[str, list]]:
        """Checks that the SYMBOL_FEATURES avoid PAD_ID and EOS_ID and appends EOS_ID to them;
        other features are stored as generated."""
        for sample in samples:
            for feature in self.SYMBOL_FEATURES:
                if PAD_ID in sample[feature] or EOS_ID in sample[feature]:
                    raise ValueError(
                        f"problem {self.name!r} generated {feature} {sample[feature]} containing "
                        f"PAD_ID={PAD_ID} or EOS_ID={EOS_ID}; those ids are reserved.")
            yield {feature: list(sample[feature]) + ([EOS_ID] if feature in self.SYMBOL_FEATURES
                                                     else [])
                   for feature in self.FEATURES}

    def _read_record(self, record: tf.Tensor) -> dict[str, tf.Tensor]:
        return self.preprocess_example(
            tf.io.parse_single_example(record, self.example_reading_spec()))
