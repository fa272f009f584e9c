"""Word and character error rates of transcripts, computed with `tf.edit_distance`.

    word_error_rate(["the cat sat"], ["the cat sat down"])        → 0.25  (1 deletion / 4 words)
    character_error_rate(["abd"], ["abc"])                        → 0.333 (1 substitution / 3 chars)

Both are corpus-level fractions (lower is better): the Levenshtein edits (substitutions, deletions,
insertions) summed over all utterances, divided by the total length of the references. They can
exceed 1 when hypotheses have many insertions. Text is compared as given, except that whitespace is
normalized first (stripped at the ends, runs collapsed to one space). Characters include the single
spaces between words.
"""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf


def word_error_rate(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Word edits / reference words, over the whole corpus."""
    return _error_rate(hypotheses, references, _words)


def character_error_rate(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Character edits / reference characters (spaces between words included)."""
    return _error_rate(hypotheses, references, _characters)


def _normalize_whitespace(texts: Sequence[str]) -> list[str]:
    return [" ".join(text.split()) for text in texts]


def _words(texts: tf.Tensor) -> tf.RaggedTensor:
    return tf.strings.split(texts)


def _characters(texts: tf.Tensor) -> tf.RaggedTensor:
    return tf.strings.unicode_split(texts, "UTF-8")


def _error_rate(hypotheses: Sequence[str], references: Sequence[str], tokenize) -> float:
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    reference_tokens = tokenize(tf.constant(_normalize_whitespace(references), tf.string))
    total = int(tf.reduce_sum(reference_tokens.row_lengths()))
    if total == 0:
        raise ValueError("cannot compute an error rate: the references are empty")
    hypothesis_tokens = tokenize(tf.constant(_normalize_whitespace(hypotheses), tf.string))
    edits = tf.edit_distance(hypothesis_tokens.to_sparse(), reference_tokens.to_sparse(),
                             normalize=False)
    return float(tf.reduce_sum(edits)) / total
