"""Sentencepiece vocabularies: training (written atomically), loading, and exact text ↔ ids.

    vocab = train_vocabulary(sentences, "/data/translate_x-vocab-shared-unigram8000", 8000)
    vocab = Vocabulary.load("/data/translate_x-vocab-shared-unigram8000")   # reads <prefix>.model
    ids = vocab.encode("Hello  world 😀")        # → [37, 512, ...], never 0 (pad) or 1 (EOS)
    vocab.decode(ids) == "Hello  world 😀"        # always: decode(encode(s)) == s

Ids follow `t2t.model`: 0 = PAD_ID, 1 = EOS_ID, 2 = unknown (never produced by `encode`), then
256 byte pieces <0x00>..<0xFF>, then the learned pieces; `Vocabulary.size` counts them all.

Why text round-trips exactly, whatever the Unicode:
- no normalization (`normalization_rule_name="identity"`) and whitespace kept as is
  (`remove_extra_whitespaces=False`): multiple, leading and trailing spaces survive;
- `byte_fallback=True`: a character the model never saw is spelled as its UTF-8 bytes, not <unk>;
- sentencepiece writes spaces as the meta symbol "▁" (U+2581) and decodes every "▁" piece back to a
  space, so a literal "▁" in the text would come back as a space. `encode` therefore spells each
  literal "▁" as its three byte pieces, which decode to "▁" itself;
- the word-start marker sentencepiece usually adds (`add_dummy_prefix`) is added here instead, as
  one leading space, and `decode` removes it, so that it never merges with the text's own spaces.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence

import sentencepiece as spm

from t2t.ids import EOS_ID, PAD_ID

UNK_ID = 2
MODEL_TYPES = ("unigram", "bpe")
# Sentencepiece's stand-in for a space; literal occurrences are spelled as bytes (see above).
META_SPACE = "\u2581"
# PAD, EOS and UNK plus 256 byte pieces; a vocabulary also holds every character of the training
# text that is not left to byte fallback, and then the learned pieces.
RESERVED_PIECES = 3 + 256


class Vocabulary:
    """A trained sentencepiece model with t2t's reserved ids and an exact text round trip."""

    def __init__(self, model_proto: bytes, origin: str):
        """Wraps a serialized sentencepiece model; `origin` names it in error messages."""
        self.origin = origin
        self._processor = spm.SentencePieceProcessor(model_proto=model_proto)
        self._check_reserved_ids()
        self._meta_space_ids = [self._processor.piece_to_id(f"<0x{byte:02X}>")
                                for byte in META_SPACE.encode("utf-8")]

    @classmethod
    def load(cls, prefix: str) -> Vocabulary:
        """Reads `<prefix>.model`. Raises FileNotFoundError naming it if absent."""
        path = prefix + ".model"
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no vocabulary file {path}")
        with open(path, "rb") as file:
            return cls(file.read(), path)

    @property
    def size(self) -> int:
        """Number of ids, reserved ones included (the model's embedding rows)."""
        return self._processor.vocab_size()

    def encode(self, text: str) -> list[int]:
        """Text → ids in [3, size), without EOS."""
        segments = (" " + text).split(META_SPACE)
        ids = self._processor.encode(segments[0])
        for segment in segments[1:]:
            ids += self._meta_space_ids + self._processor.encode(segment)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """Ids (no EOS or padding) → text; the inverse of `encode`."""
        text = self._processor.decode([int(i) for i in ids])
        return text.removeprefix(" ")

    def _check_reserved_ids(self) -> None:
        expected = {"pad": PAD_ID, "eos": EOS_ID, "unk": UNK_ID}
        found = {"pad": self._processor.pad_id(), "eos": self._processor.eos_id(),
                 "unk": self._processor.unk_id()}
        if found != expected or self._processor.piece_to_id("<0x00>") == UNK_ID:
            raise ValueError(f"{self.origin}: not a t2t vocabulary (special ids {found}, "
                             f"expected {expected} and byte fallback pieces); retrain it with "
                             f"t2t.data.vocab.train_vocabulary")


def train_vocabulary(sentences: Iterable[str], prefix: str, vocab_size: int,
                     model_type: str = "unigram") -> Vocabulary:
    """Trains a sentencepiece model on `sentences` and writes `<prefix>.model` and `<prefix>.vocab`.

    Training happens in a temporary directory beside `prefix`; the two files are then moved into
    place, `.vocab` first and `.model` last, so a `.model` under its final name is always complete.

    Args:
      sentences: training text, one sentence per item; sentencepiece holds them all in memory,
        so bound their number (a few million at most). The same sentences give the same model.
      prefix: path of the files without extension; its directory is created if missing.
      vocab_size: number of ids wanted, reserved ones included; it must exceed RESERVED_PIECES
        plus the number of distinct characters in the text. For unigram it is an upper bound: a
        small corpus may yield fewer pieces.
      model_type: "unigram" or "bpe".

    Returns:
      The trained vocabulary.

    Raises:
      ValueError: a bad `model_type` or `vocab_size`, or sentencepiece rejects the settings or
        the corpus (the message names the prefix and what sentencepiece said).
      Whatever iterating `sentences` raises (e.g. FileNotFoundError), unchanged.
    """
    if model_type not in MODEL_TYPES:
        raise ValueError(f"vocabulary {prefix}: model_type must be one of {MODEL_TYPES}, "
                         f"got {model_type!r}")
    if vocab_size <= RESERVED_PIECES:
        raise ValueError(f"vocabulary {prefix}: vocab_size must exceed the {RESERVED_PIECES} "
                         f"reserved ids (pad, EOS, unk and 256 bytes), got {vocab_size}")
    directory = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(directory, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=f".{os.path.basename(prefix)}.incomplete-", dir=directory)
    try:
        scratch_prefix = os.path.join(scratch, "vocab")
        feed = _SentenceFeed(sentences)
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(feed),
                model_prefix=scratch_prefix, vocab_size=vocab_size, model_type=model_type,
                pad_id=PAD_ID, eos_id=EOS_ID, unk_id=UNK_ID, bos_id=-1,
                normalization_rule_name="identity", remove_extra_whitespaces=False,
                add_dummy_prefix=False, byte_fallback=True, hard_vocab_limit=False,
                minloglevel=2)
        except RuntimeError as error:
            if feed.error:
                raise feed.error from None
            if not feed.count:
                raise ValueError(f"vocabulary {prefix}: no sentences to train on") from None
            raise ValueError(f"training vocabulary {prefix} (size {vocab_size}, {model_type}) "
                             f"failed: {error}") from error
        os.replace(scratch_prefix + ".vocab", prefix + ".vocab")
        os.replace(scratch_prefix + ".model", prefix + ".model")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Vocabulary.load(prefix)


class _SentenceFeed:
    """Gives sentencepiece the sentences as `encode` sees them (after one leading space), counts
    them, and keeps an error raised while reading them, which sentencepiece would otherwise
    replace by a RuntimeError."""

    def __init__(self, sentences: Iterable[str]):
        self._sentences = sentences
        self.count = 0
        self.error: Exception | None = None

    def __iter__(self) -> Iterator[str]:
        try:
            for sentence in self._sentences:
                self.count += 1
                yield " " + sentence
        except Exception as error:
            self.error = error
            raise
