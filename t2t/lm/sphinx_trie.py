"""Reads CMU Sphinx's trie binary language models (`*.lm.bin`, e.g. Debian's pocketsphinx-en-us
US English trigram) into the tables of a `t2t.lm.backoff_lm.BackoffLM` (`BackoffLM.load` calls this),
without sphinxbase.

The layout (sphinxbase's ngram_model_trie.c, lm_trie.c, lm_trie_quant.c; KenLM's trie, quantized),
all little-endian:

    "Trie Language Model"          19 bytes, no terminator
    order                          uint8
    counts                         uint32 [order]: n-grams per order, as the header claims
    quantization                   int32 (unused), then float32 tables of 65536 values: per middle
                                   order a probability table and a backoff table, then a
                                   probability table for the highest order
    unigrams                       (float32 log P, float32 log B, uint32 next) [counts[0] + 1]; the
                                   last is a sentinel: entries u.next..(u + 1).next − 1 of the
                                   2-gram array extend unigram u
    n-gram arrays                  for n = 2..order, (1 + count) bit-packed entries, then 8 bytes:
                                   middle orders: word (W bits), backoff code (16), probability
                                   code (16), next (bits to count the next order's entries);
                                   highest order: word (W bits), probability code (16);
                                   W = bits to count the vocabulary; an entry's value is read from
                                   the little-endian uint64 at byte (bit offset) // 8, shifted right
                                   by (bit offset) % 8
    vocabulary                     int32 byte length, then the words, each NUL-terminated

Paths run backwards: a 2-gram entry of unigram u with word v is the n-gram "v u", a 3-gram entry
below it with word t is "t v u". Log values are in sphinxbase's log base 1.0001. The header's counts
may exceed what the arrays hold (Debian's en-us model does: docs/benchmarks.md, "Facts moved from
docstrings"; the arrays are sized by the header): the true counts are read from the next pointers.
"""
from __future__ import annotations

import math

import numpy as np

MAGIC = b"Trie Language Model"
LOG_BASE = 1.0001
_QUANT_VALUES = 1 << 16
_UNIGRAM = np.dtype([("log_prob", "<f4"), ("log_backoff", "<f4"), ("next", "<u4")])


def is_sphinx_trie(path: str) -> bool:
    """Whether the file at `path` starts like a CMU Sphinx trie binary."""
    with open(path, "rb") as file:
        return file.read(len(MAGIC)) == MAGIC


Tables = list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]


def read(path: str) -> tuple[list[str], Tables]:
    """(vocabulary, one table per order n: (word ids int64 [count, n] in reading order, natural
    log P float64 [count], natural log B float64 [count] or None for the highest order)) of the
    Sphinx trie binary at `path`, as `BackoffLM.from_tables` takes them. Raises ValueError naming
    the file if it is not one or is cut short."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        return _parse(data)
    except ValueError as error:
        raise ValueError(f"CMU Sphinx trie LM {path}: {error}") from None


def _parse(data: bytes) -> tuple[list[str], Tables]:
    if not data.startswith(MAGIC):
        raise ValueError(f"does not start with {MAGIC!r}")
    offset = len(MAGIC)
    _check_size(data, offset + 1, "header")
    order = data[offset]
    if not 1 <= order <= 9:
        raise ValueError(f"order {order} read from the header; expected 1..9")
    _check_size(data, offset + 1 + 4 * order, "header")
    counts = [int(count) for count in np.frombuffer(data, "<u4", order, offset + 1)]
    offset += 1 + 4 * order
    tables = []  # per order n ≥ 2: (probability table, backoff table or None)
    _check_size(data, offset + (4 + 4 * _QUANT_VALUES * (2 * order - 3) if order > 1 else 0)
                + _UNIGRAM.itemsize * (counts[0] + 1), "quantization tables and unigrams")
    if order > 1:
        offset += 4
        for _ in range(order - 2):
            probs = _floats(data, offset)
            backoffs = _floats(data, offset + 4 * _QUANT_VALUES)
            tables.append((probs, backoffs))
            offset += 8 * _QUANT_VALUES
        tables.append((_floats(data, offset), None))
        offset += 4 * _QUANT_VALUES
    unigrams = np.frombuffer(data, _UNIGRAM, counts[0] + 1, offset)
    offset += _UNIGRAM.itemsize * (counts[0] + 1)
    word_bits = counts[0].bit_length()
    parent_next = unigrams["next"].astype(np.int64)  # entry ranges of the order being read
    words = [np.arange(counts[0], dtype=np.int64)[:, None]]  # ids of each order's n-grams
    to_ln = math.log(LOG_BASE)
    unigram_backoffs = unigrams["log_backoff"][:-1].astype(np.float64) * to_ln
    columns = [(unigrams["log_prob"][:-1].astype(np.float64) * to_ln,
                unigram_backoffs if order > 1 else None)]
    for n in range(2, order + 1):
        entries = int(parent_next[-1])  # what the arrays hold
        highest = n == order
        next_bits = 0 if highest else counts[n].bit_length()
        entry_bits = word_bits + (16 if highest else 32 + next_bits)
        size = ((1 + counts[n - 1]) * entry_bits + 7) // 8 + 8
        if entries > counts[n - 1]:
            raise ValueError(f"its {n}-gram array holds {entries} entries for a header count of "
                             f"{counts[n - 1]}")
        _check_size(data, offset + size, f"{n}-gram array")
        packed = np.frombuffer(data, np.uint8, size, offset)
        offset += size
        starts = np.arange(entries + (0 if highest else 1), dtype=np.int64) * entry_bits
        word = _bits(packed, starts[:entries], word_bits)
        prob_codes = _bits(packed, starts[:entries] + word_bits + (0 if highest else 16), 16)
        probs, backoffs = tables[n - 2]
        # Each entry's n-gram: its word, then its parent's n − 1 words.
        parents = np.searchsorted(parent_next, np.arange(entries), side="right") - 1
        words.append(np.concatenate([word[:, None], words[-1][parents]], axis=1))
        backoff = None
        if not highest:
            backoff = backoffs[_bits(packed, starts[:entries] + word_bits, 16)] * to_ln
            parent_next = _bits(packed, starts + word_bits + 32, next_bits).astype(np.int64)
        columns.append((probs[prob_codes] * to_ln, backoff))
    _check_size(data, offset + 4, "vocabulary")
    vocabulary_bytes = int(np.frombuffer(data, "<i4", 1, offset)[0])
    _check_size(data, offset + 4 + vocabulary_bytes, "vocabulary")
    vocabulary = data[offset + 4:offset + 4 + vocabulary_bytes].decode("utf-8").split("\0")[:-1]
    if len(vocabulary) != counts[0]:
        raise ValueError(f"{len(vocabulary)} words at the end for {counts[0]} unigrams")
    return vocabulary, [(ids, log_probs, log_backoffs)
                        for ids, (log_probs, log_backoffs) in zip(words, columns)]


def _check_size(data: bytes, end: int, what: str) -> None:
    if len(data) < end:
        raise ValueError(f"cut short: its {what} end at byte {end}, the file at {len(data)}")


def _floats(data: bytes, offset: int) -> np.ndarray:
    return np.frombuffer(data, "<f4", _QUANT_VALUES, offset).astype(np.float64)


def _bits(packed: np.ndarray, bit_offsets: np.ndarray, width: int) -> np.ndarray:
    """The `width`-bit values at `bit_offsets` (int64 [count]) of a packed array (uint8)."""
    if width == 0:
        return np.zeros(len(bit_offsets), np.int64)
    byte_offsets = bit_offsets >> 3
    window = packed[byte_offsets[:, None] + np.arange(8)].copy().view("<u8")[:, 0]
    return ((window >> (bit_offsets & 7).astype(np.uint64)) & np.uint64((1 << width) - 1)
            ).astype(np.int64)
