"""Scores of decoded text against reference text, for eval-by-decoding and t2t-decoder.

Both take plain strings: hypotheses are real (autoregressive) decodes turned back into text by the
problem's vocabulary, so BLEU here is detokenized corpus sacreBLEU, comparable with published
numbers — never an approximation computed on subword ids.
"""
from __future__ import annotations

from collections.abc import Sequence

import sacrebleu


def exact_match(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Fraction in [0, 1] of hypotheses equal to their reference, surrounding whitespace ignored."""
    _check_pairs(hypotheses, references)
    matches = sum(h.strip() == r.strip() for h, r in zip(hypotheses, references))
    return matches / len(references)


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU in [0, 100] by sacreBLEU's defaults (13a tokenization, exp smoothing), one
    reference per hypothesis."""
    _check_pairs(hypotheses, references)
    return sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score


def _check_pairs(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    if not references:
        raise ValueError("cannot score an empty list of decodes")
