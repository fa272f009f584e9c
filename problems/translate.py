"""Translation problems: sentence pairs → sentencepiece ids, scored by real detokenized BLEU.

`TranslateProblem` does the work every translation problem shares; a subclass only says where its
(source, target) sentence pairs come from (`text_pairs`). The base then
  1. strips the pairs and skips (counting them in the log) any with an empty side or a side longer
     than `max_chars` characters (`t2t.data_gen.parallel_text.clean_pairs`);
  2. trains sentencepiece vocabularies on the first `vocab_max_pairs` train pairs only — one shared
     by both sides, or one per side — and stores them beside the shards:
         <data_dir>/<problem>-vocab-shared-unigram8000.model   (+ .vocab; or -source-/-target-)
     the name carries the type and size, so changing them never reuses a stale vocabulary;
  3. encodes sources as "inputs" and targets as "targets";
  4. decodes and scores: `decode_metrics` gives corpus sacreBLEU on detokenized text and exact
     match.

Registered here:
    translate_enes_apertium   English → Spanish, fortune cookies translated by Apertium (offline)
    translate_files           your own parallel files, configured by gin (no code)
The WMT problems on TFDS are in `t2t.problems.translate_wmt`.
"""
from __future__ import annotations

import abc
import itertools
import os
from collections.abc import Callable, Iterator, Sequence

import gin

from t2t.data import shards
from t2t.data.hash_split import HashSplit
from t2t.data.vocab import MODEL_TYPES, Vocabulary, train_vocabulary
from t2t.data_gen import apertium, fortunes, parallel_text
from t2t.data_gen.parallel_text import Pair
from t2t.metrics.text import bleu, exact_match
from t2t.modality import SymbolModality
from t2t.model import ProblemInfo
from t2t.problem import Problem
from t2t.registry import register_problem


def sentence_split(dev_fraction: float, test_fraction: float) -> Callable[[str], str]:
    """Maps a sentence to "dev", "test" or "train" by a stable hash of it, stripped (the same on
    every machine).

    A sentence lands in dev with probability `dev_fraction`, in test with `test_fraction`; since
    the split depends on the sentence alone, a sentence occurring twice never spans two splits.
    """
    split_of = HashSplit([("dev", dev_fraction), ("test", test_fraction)], rest="train")
    return lambda sentence: split_of(sentence.strip())


class TranslateProblem(Problem):
    """Text → text with sentencepiece vocabularies learned from the train split.

    Args:
      vocab_size: ids per vocabulary, reserved ones included (an upper bound for unigram).
      vocab_type: "unigram" or "bpe".
      shared_vocab: one vocabulary for both languages (T2T's default) or one per side.
      max_chars: pairs with a side longer than this many characters are skipped (and counted).
      vocab_max_pairs: the vocabularies are trained on at most this many train pairs (the first).
    """

    def __init__(self, vocab_size: int, vocab_type: str = "unigram", shared_vocab: bool = True,
                 max_chars: int = 1000, vocab_max_pairs: int = 1_000_000):
        if vocab_type not in MODEL_TYPES:
            raise ValueError(f"{self.name}: vocab_type must be one of {MODEL_TYPES}, "
                             f"got {vocab_type!r}")
        self.vocab_size = vocab_size
        self.vocab_type = vocab_type
        self.shared_vocab = shared_vocab
        self.max_chars = max_chars
        self.vocab_max_pairs = vocab_max_pairs
        self._vocabularies: dict[str, Vocabulary] = {}

    @abc.abstractmethod
    def text_pairs(self, split: str, tmp_dir: str) -> Iterator[Pair]:
        """Yields the raw (source, target) sentences of `split`; the base cleans them."""

    # -- vocabularies
    @property
    def vocabulary_sides(self) -> tuple[str, ...]:
        """("shared",) or ("source", "target"): the vocabulary files this problem has."""
        return ("shared",) if self.shared_vocab else ("source", "target")

    def vocabulary_prefix(self, data_dir: str, side: str) -> str:
        """Path without extension of the vocabulary of `side` (one of `vocabulary_sides`)."""
        name = f"{self.name}-vocab-{side}-{self.vocab_type}{self.vocab_size}"
        return os.path.join(data_dir, name)

    def build_vocabularies(self, data_dir: str, tmp_dir: str) -> None:
        """Trains the vocabularies `data_dir` lacks on the train split, then loads them.

        Raises:
          ValueError: a vocabulary is missing but shards of this problem exist (they were encoded
            with another vocabulary); names the vocabulary file and what to delete.
        """
        missing = [side for side in self.vocabulary_sides
                   if not os.path.isfile(self.vocabulary_prefix(data_dir, side) + ".model")]
        stale_shards = [path for split in self.SPLITS
                        for path in shards.split_files(data_dir, self.name, split)]
        if missing and stale_shards:
            raise ValueError(
                f"{data_dir} holds {self.name} shards (e.g. {stale_shards[0]}) but not the "
                f"vocabulary {self.vocabulary_prefix(data_dir, missing[0])}.model; they were "
                f"encoded with other vocabulary settings or the file was deleted. Delete the "
                f"{self.name}-* files there to regenerate, or use another --data_dir.")
        for side in missing:
            train_vocabulary(self._vocabulary_text(side, tmp_dir),
                             self.vocabulary_prefix(data_dir, side), self.vocab_size,
                             self.vocab_type)
        self.load_vocabularies(data_dir)

    def load_vocabularies(self, data_dir: str) -> None:
        """Loads the vocabularies from `data_dir`; FileNotFoundError names a missing file."""
        try:
            self._vocabularies = {side: Vocabulary.load(self.vocabulary_prefix(data_dir, side))
                                  for side in self.vocabulary_sides}
        except FileNotFoundError as error:
            raise FileNotFoundError(f"{error}; run `t2t-datagen --problem={self.name} "
                                    f"--data_dir={data_dir}` to build it") from None

    @property
    def source_vocabulary(self) -> Vocabulary:
        return self._vocabulary("shared" if self.shared_vocab else "source")

    @property
    def target_vocabulary(self) -> Vocabulary:
        return self._vocabulary("shared" if self.shared_vocab else "target")

    def has_data(self, data_dir: str) -> bool:
        """True iff every split's shards and every vocabulary file are in `data_dir`."""
        return super().has_data(data_dir) and all(
            os.path.isfile(self.vocabulary_prefix(data_dir, side) + ".model")
            for side in self.vocabulary_sides)

    # -- the Problem interface
    def info(self) -> ProblemInfo:
        return ProblemInfo(inputs=SymbolModality(self.source_vocabulary.size),
                           target_vocab_size=self.target_vocabulary.size)

    def generate_samples(self, split: str, tmp_dir: str) -> Iterator[dict[str, list[int]]]:
        """{"inputs": source ids, "targets": target ids} for each clean pair of `split`."""
        source_vocabulary, target_vocabulary = self.source_vocabulary, self.target_vocabulary
        for source, target in self._clean_pairs(split, tmp_dir):
            yield {"inputs": source_vocabulary.encode(source),
                   "targets": target_vocabulary.encode(target)}

    def encode(self, text: str) -> list[int]:
        """Source text → input ids (no EOS)."""
        return self.source_vocabulary.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        """Target ids (no EOS, no padding) → detokenized target text."""
        return self.target_vocabulary.decode(ids)

    def decode_metrics(self, hypotheses: list[str], references: list[str]) -> dict[str, float]:
        """{"bleu": corpus sacreBLEU in [0, 100], "exact_match": fraction in [0, 1]}."""
        return {"bleu": bleu(hypotheses, references),
                "exact_match": exact_match(hypotheses, references)}

    # -- helpers
    def _clean_pairs(self, split: str, tmp_dir: str) -> Iterator[Pair]:
        return parallel_text.clean_pairs(self.text_pairs(split, tmp_dir), self.max_chars,
                                         f"{self.name} {split}")

    def _vocabulary_text(self, side: str, tmp_dir: str) -> Iterator[str]:
        """The sentences a vocabulary of `side` is trained on: both sides of the first
        `vocab_max_pairs` clean train pairs if shared, else one side."""
        pairs = itertools.islice(self._clean_pairs("train", tmp_dir), self.vocab_max_pairs)
        for source, target in pairs:
            if side in ("shared", "source"):
                yield source
            if side in ("shared", "target"):
                yield target

    def _vocabulary(self, side: str) -> Vocabulary:
        if side not in self._vocabularies:
            raise RuntimeError(f"{self.name}: vocabularies not loaded; call "
                               f"problem.load_vocabularies(data_dir) (or generate_data) first")
        return self._vocabularies[side]


@register_problem
@gin.configurable
class TranslateEnesApertium(TranslateProblem):
    """English → Spanish, offline: fortune-cookie sentences translated by `apertium -u eng-spa`.

    The distinct sentences of `t2t.data_gen.apertium`, split by a hash of the English sentence:
    ~4.5% dev, ~4.5% test, the rest train (sizes: docs/benchmarks.md, "Translation"). Needs the
    Debian packages `fortunes` and `apertium-eng-spa`. The translated corpus is cached in tmp_dir.

    Args (besides TranslateProblem's):
      max_sentences: use only the first N English sentences (0 = all); for quick experiments.
      dev_fraction, test_fraction: expected fractions of sentences in dev and test.
      fortunes_dir: where the fortune files are.
    """

    def __init__(self, vocab_size: int = 8000, vocab_type: str = "unigram",
                 shared_vocab: bool = True, max_chars: int = 1000, max_sentences: int = 0,
                 dev_fraction: float = 0.045, test_fraction: float = 0.045,
                 fortunes_dir: str = fortunes.FORTUNES_DIR):
        super().__init__(vocab_size, vocab_type, shared_vocab, max_chars)
        self.max_sentences = max_sentences
        self.split_of = sentence_split(dev_fraction, test_fraction)
        self.fortunes_dir = fortunes_dir

    def text_pairs(self, split: str, tmp_dir: str) -> Iterator[Pair]:
        corpus = apertium.build_corpus(tmp_dir, self.max_sentences, self.fortunes_dir)
        for english, spanish in parallel_text.read_tsv(corpus):
            if self.split_of(english) == split:
                yield english, spanish


@register_problem
@gin.configurable
class TranslateFiles(TranslateProblem):
    """Your own parallel text, no code: give each split as two aligned files or one TSV file.

        t2t-datagen --problem=translate_files --data_dir=~/t2t_data/mine \\
            --gin_param="TranslateFiles.train_tsv = '/corpora/train.tsv'" \\
            --gin_param="TranslateFiles.vocab_size = 16000"

    Train is required: `train_source` and `train_target` (line i of one translates line i of the
    other), or `train_tsv` ("source<TAB>target" lines). Dev and test are optional, the same way;
    a missing one is carved from train by a hash of the source sentence (`carve_fraction` of it),
    and those sentences are then left out of train. All data is written under the name
    translate_files, so give each corpus its own --data_dir.
    """

    def __init__(self, train_source: str = "", train_target: str = "", train_tsv: str = "",
                 dev_source: str = "", dev_target: str = "", dev_tsv: str = "",
                 test_source: str = "", test_target: str = "", test_tsv: str = "",
                 carve_fraction: float = 0.01, vocab_size: int = 8000,
                 vocab_type: str = "unigram", shared_vocab: bool = True, max_chars: int = 1000,
                 vocab_max_pairs: int = 1_000_000):
        super().__init__(vocab_size, vocab_type, shared_vocab, max_chars, vocab_max_pairs)
        given = {"train": (train_source, train_target, train_tsv),
                 "dev": (dev_source, dev_target, dev_tsv),
                 "test": (test_source, test_target, test_tsv)}
        self.files = {split: _checked_files(split, *files) for split, files in given.items()}
        if not self.files["train"]:
            raise ValueError(
                "translate_files needs training data: set TranslateFiles.train_tsv, or both "
                "TranslateFiles.train_source and TranslateFiles.train_target, e.g. "
                "--gin_param=\"TranslateFiles.train_tsv = '/path/train.tsv'\"")
        self.carve_fraction = carve_fraction

    def text_pairs(self, split: str, tmp_dir: str) -> Iterator[Pair]:
        """The split's own files, else the train pairs whose source hashes into `split`."""
        if split != "train" and self.files[split]:
            yield from _read_pairs(self.files[split])
            return
        split_of = sentence_split(*(0.0 if self.files[carved] else self.carve_fraction
                                    for carved in ("dev", "test")))
        for pair in _read_pairs(self.files["train"]):
            if split_of(pair[0]) == split:
                yield pair


def _checked_files(split: str, source: str, target: str, tsv: str) -> tuple[str, ...]:
    """(tsv,), (source, target) or () if the split is not given; ValueError names the gin
    parameters of a half or doubly given split."""
    if tsv and (source or target):
        raise ValueError(f"give TranslateFiles.{split}_tsv or TranslateFiles.{split}_source/"
                         f"{split}_target, not both")
    if bool(source) != bool(target):
        raise ValueError(f"TranslateFiles.{split}_source and TranslateFiles.{split}_target go "
                         f"together; got only {split}_{'source' if source else 'target'}")
    if tsv:
        return (os.path.expanduser(tsv),)
    return (os.path.expanduser(source), os.path.expanduser(target)) if source else ()


def _read_pairs(files: tuple[str, ...]) -> Iterator[Pair]:
    if len(files) == 1:
        return parallel_text.read_tsv(*files)
    return parallel_text.read_aligned_files(*files)
