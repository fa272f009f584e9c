"""CTC prefix beam search with shallow fusion of a character language model (DeepSpeech2, Amodei et
al. 2016, section 7): the best transcript y of one utterance under

    Q(y) = log p_ctc(y | x) + α · log p_lm(y) + β · |y|

where p_ctc sums over every frame alignment of y, p_lm is a `CharNgramLM` (END included, so the LM
also scores where the sentence stops) and |y| counts characters. Plain NumPy and Python, run per
utterance on the host (`models/deepspeech2.py` calls it through `tf.numpy_function`).

For each prefix the search tracks, in log space, the probability of the frames so far given that
the prefix is complete and its alignment ends in a blank (p_blank) or in its last character
(p_char). A frame's class c extends prefix y as follows:

    c blank                 → y             from p_blank + p_char
    c = y's last character  → y             from p_char   (the repeat merges)
                            → y + c         from p_blank  (only a blank separates repeats)
    any other character c   → y + c         from p_blank + p_char

and appending c adds α · log p_lm(c | y) + β to the prefix's fusion score. Each frame keeps the
`beam_size` prefixes of highest log(p_blank + p_char) + fusion score; at the end
α · log p_lm(END | y) is added before picking the best.

Pruning: a frame only tries the classes whose log-probability is at least `min_log_prob` (always at
least its most likely class). Extensions are scored as one [beam, characters] array, and only the
`beam_size` best new prefixes are built (no other could survive the frame), so a frame costs a few
NumPy calls whatever the number of characters tried. Measured on a busy 2-core CPU, a [100 frames,
30 classes] utterance with beam 16 and a 7-gram LM (8000 sentences) took ~8 ms when most frames are
confidently blank (a trained model) and ~30 ms when every frame is flat (an untrained one), once
the LM's per-context cache is warm.
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from t2t.char_lm import CharNgramLM

DEFAULT_MIN_LOG_PROB = math.log(1e-4)
_NEG_INF = -math.inf
# A prefix of the beam: (class ids, log p_blank, log p_char).
_Beam = tuple[tuple[int, ...], float, float]


class Hypothesis(NamedTuple):
    """The search's best transcript: class ids (no blanks, repeats merged) and its fused score
    Q(y) (the CTC log-probability when there is no LM and no bonus)."""
    ids: list[int]
    score: float


def ctc_prefix_beam_search(log_probs: np.ndarray, blank_id: int = 0,
                           id_to_char: Mapping[int, str] | None = None,
                           lm: CharNgramLM | None = None, lm_weight: float = 0.0,
                           char_bonus: float = 0.0, beam_size: int = 16,
                           min_log_prob: float = DEFAULT_MIN_LOG_PROB) -> Hypothesis:
    """Decodes one utterance (see the module docstring).

    Args:
      log_probs: float [frames, classes], each row a log-softmax over the CTC classes.
      blank_id: the blank class.
      id_to_char: with an `lm`, the LM character of each class; the search then emits only
        these classes (and the blank), so e.g. an EOS class without a character is never emitted.
      lm, lm_weight: the language model and its weight α (lm_weight needs an lm).
      char_bonus: β, added per emitted character.
      beam_size: prefixes kept after each frame.
      min_log_prob: classes below this log-probability in a frame are not tried there.

    Returns:
      The best Hypothesis.
    """
    log_probs = np.asarray(log_probs, np.float64)
    _check_args(log_probs, blank_id, id_to_char, lm, lm_weight, beam_size)
    fusion = _Fusion(log_probs.shape[1], blank_id, id_to_char, lm, lm_weight, char_bonus)
    # Per prefix (a tuple of ids) of the beam: (fusion score, LM context).
    prefixes: dict[tuple[int, ...], tuple[float, str]] = {(): (0.0, "")}
    beams: list[_Beam] = [((), 0.0, _NEG_INF)]
    for frame in log_probs:
        candidates = frame[fusion.classes]
        tried = fusion.classes[candidates >= min_log_prob]
        if not tried.size:
            tried = fusion.classes[np.argmax(candidates)][None]
        chars = tried[tried != blank_id]
        column_of = {int(c): column for column, c in enumerate(chars)}
        row = frame.tolist()
        blank_p = row[blank_id] if chars.size < tried.size else _NEG_INF
        # The beam's prefixes again: after a blank, or after a repeat of their last character.
        following: dict[tuple[int, ...], list[float]] = {}  # prefix → [p_blank, p_char]
        for prefix, p_blank, p_char in beams:
            following[prefix] = [_log_add(p_blank, p_char) + blank_p,
                                 p_char + row[prefix[-1]] if prefix and prefix[-1] in column_of
                                 else _NEG_INF]
        if chars.size:
            _extend(beams, chars, column_of, frame, following, prefixes, fusion, beam_size)
        ranked = heapq.nlargest(beam_size, (
            (_log_add(p_blank, p_char) + prefixes[prefix][0], prefix, p_blank, p_char)
            for prefix, (p_blank, p_char) in following.items()))
        beams = [(prefix, p_blank, p_char) for _, prefix, p_blank, p_char in ranked]
        prefixes = {prefix: prefixes[prefix] for prefix, _, _ in beams}

    def final_score(beam: _Beam) -> float:
        prefix, p_blank, p_char = beam
        score, context = prefixes[prefix]
        return _log_add(p_blank, p_char) + score + fusion.end_gain(context)

    best = max(beams, key=final_score)
    return Hypothesis(list(best[0]), float(final_score(best)))


class _Fusion:
    """The LM and bonus part of the score: which classes may be emitted, what appending one adds
    (α · log p_lm(c | y) + β) and the LM context after it."""

    def __init__(self, num_classes: int, blank_id: int, id_to_char: Mapping[int, str] | None,
                 lm: CharNgramLM | None, lm_weight: float, char_bonus: float):
        self.lm, self.lm_weight, self.char_bonus = lm, lm_weight, char_bonus
        self.id_to_char = id_to_char
        self.classes = np.arange(num_classes)
        if lm is not None:
            self.classes = np.array(sorted([blank_id, *id_to_char]))
            self.lm_column = np.zeros(num_classes, int)  # class → its character's LM column
            for c, char in id_to_char.items():
                self.lm_column[c] = lm.alphabet.index(char)

    def gains(self, contexts: list[str], chars: np.ndarray) -> np.ndarray:
        """float [len(contexts), len(chars)]: the fusion score of appending each char after each
        LM context."""
        gains = np.full([len(contexts), chars.size], float(self.char_bonus))
        if self.lm is not None:
            lm_rows = np.stack([self.lm.log_distribution(context) for context in contexts])
            gains += self.lm_weight * lm_rows[:, self.lm_column[chars]]
        return gains

    def context_after(self, context: str, c: int) -> str:
        """The LM context (last order − 1 characters) after appending class c."""
        if self.lm is None or self.lm.order == 1:
            return ""
        return (context + self.id_to_char[c])[1 - self.lm.order:]

    def end_gain(self, context: str) -> float:
        """α · log p_lm(END | context), 0 without an LM."""
        if self.lm is None:
            return 0.0
        return self.lm_weight * float(self.lm.log_distribution(context)[-1])


def _extend(beams: list[_Beam], chars: np.ndarray, column_of: dict[int, int], frame: np.ndarray,
            following: dict[tuple[int, ...], list[float]],
            prefixes: dict[tuple[int, ...], tuple[float, str]], fusion: _Fusion,
            beam_size: int) -> None:
    """Adds to `following` (and `prefixes`) the beam's prefixes extended by one of `chars` (at
    column `column_of[c]`) in this frame that may be among the `beam_size` best: an extension that
    is itself a beam prefix adds its probability there; the others are new prefixes, each reached
    by this one extension only, so just the `beam_size` best of them can survive the frame."""
    p_blank = np.array([beam[1] for beam in beams])
    p_char = np.array([beam[2] for beam in beams])
    last = np.array([beam[0][-1] if beam[0] else -1 for beam in beams])
    # [beams, chars]: log-probability of the frames so far with the prefix extended by the char.
    extended = np.where(chars[None] == last[:, None], p_blank[:, None],
                        np.logaddexp(p_blank, p_char)[:, None]) + frame[chars][None]
    gains = fusion.gains([prefixes[beam[0]][1] for beam in beams], chars)
    rank = extended + gains + np.array([prefixes[beam[0]][0] for beam in beams])[:, None]
    row_of = {beam[0]: row for row, beam in enumerate(beams)}
    for prefix in following:
        if prefix and prefix[:-1] in row_of and prefix[-1] in column_of:
            row, column = row_of[prefix[:-1]], column_of[prefix[-1]]
            following[prefix][1] = _log_add(following[prefix][1], float(extended[row, column]))
            rank[row, column] = _NEG_INF
    flat = rank.ravel()
    count = min(beam_size, int(np.count_nonzero(flat > _NEG_INF)))
    for index in np.argpartition(-flat, count - 1)[:count] if count else []:
        row, column = divmod(int(index), chars.size)
        prefix, c = beams[row][0], int(chars[column])
        score, context = prefixes[prefix]
        prefixes[prefix + (c,)] = (score + float(gains[row, column]),
                                   fusion.context_after(context, c))
        following[prefix + (c,)] = [_NEG_INF, float(extended[row, column])]


def _check_args(log_probs: np.ndarray, blank_id: int, id_to_char: Mapping[int, str] | None,
                lm: CharNgramLM | None, lm_weight: float, beam_size: int) -> None:
    problems = []
    if log_probs.ndim != 2:
        problems.append(f"log_probs must be [frames, classes], got shape {log_probs.shape}")
    elif not 0 <= blank_id < log_probs.shape[1]:
        problems.append(f"blank_id {blank_id} is not one of the {log_probs.shape[1]} classes")
    if beam_size < 1:
        problems.append(f"beam_size must be >= 1, got {beam_size}")
    if lm is None and lm_weight:
        problems.append(f"lm_weight={lm_weight} needs an lm")
    if lm is not None:
        if id_to_char is None:
            problems.append("an lm needs id_to_char, the LM character of each class")
        else:
            unknown = {c: char for c, char in id_to_char.items()
                       if len(char) != 1 or char not in lm.alphabet}
            if unknown:
                problems.append(f"id_to_char maps classes to {unknown}, which are not characters "
                                f"of the LM's alphabet {lm.alphabet!r}")
            if log_probs.ndim == 2 and not all(0 <= c < log_probs.shape[1] and c != blank_id
                                               for c in id_to_char):
                problems.append(f"id_to_char's classes {sorted(id_to_char)} must be classes of "
                                f"log_probs other than the blank {blank_id}")
    if problems:
        raise ValueError("ctc_prefix_beam_search: " + "; ".join(problems))


def _log_add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)), exact for -inf."""
    if a < b:
        a, b = b, a
    if b == _NEG_INF:
        return a
    return a + math.log1p(math.exp(b - a))
