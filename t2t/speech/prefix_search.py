"""CTC prefix beam search with shallow fusion of a character language model, optionally with a word
language model on top (DeepSpeech2, Amodei et al. 2016, section 7): the best transcript y of one
utterance under

    Q(y) = log p_ctc(y | x) + α · log p_lm(y) + β · |y|

where p_ctc sums over every frame alignment of y, p_lm is a `CharNgramLM` (END included, so the LM
also scores where the sentence stops) and |y| counts characters. Plain NumPy and Python, run per
utterance on the host (`t2t.speech.ctc_search.CtcLmBeamSearch` calls it through
`tf.numpy_function`).

With a `WordNgramLM` as well, p_lm is a word-level model over an open vocabulary: each finished
word w (ended by a space or by the end of the sentence) is scored log p_word(w | words before),
where the word LM spells w with the character LM (its characters and the boundary after them,
in context), and a space that ends no word keeps its character-LM score. While a word is being
spelled, its characters are scored by the character LM alone (a look-ahead, as a word LM cannot
score half a word); when it ends, that character-LM score is swapped for the word LM's.

For each prefix the search tracks, in log space, the probability of the frames so far given that
the prefix is complete and its alignment ends in a blank (p_blank) or in its last character
(p_char). A frame's class c extends prefix y as follows:

    c blank                 → y             from p_blank + p_char
    c = y's last character  → y             from p_char   (the repeat merges)
                            → y + c         from p_blank  (only a blank separates repeats)
    any other character c   → y + c         from p_blank + p_char

and appending c adds α · log p_lm(c | y) + β to the prefix's fusion score (with a word LM, a space
after a word adds α · (log p_word(word) − the word's character-LM score) + β). Each frame keeps the
`beam_size` prefixes of highest log(p_blank + p_char) + fusion score; at the end
α · log p_lm(END | y) is added before picking the best.

Pruning: a frame only tries the classes whose log-probability is at least `min_log_prob` (always at
least its most likely class). Extensions are scored as one [beam, characters] array, and only the
`beam_size` best new prefixes are built (no other could survive the frame), so a frame costs a few
NumPy calls whatever the number of characters tried (timings: docs/benchmarks.md, "Facts moved
from docstrings").
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from t2t.lm.char_lm import CharNgramLM
from t2t.lm.log_space import log_add
from t2t.lm.word_lm import WordNgramLM
from t2t.lm.mixture import InterpolatedWordLM

WordLM = WordNgramLM | InterpolatedWordLM

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
                           min_log_prob: float = DEFAULT_MIN_LOG_PROB,
                           word_lm: WordLM | None = None) -> Hypothesis:
    """Decodes one utterance (see the module docstring).

    Args:
      log_probs: float [frames, classes], each row a log-softmax over the CTC classes.
      blank_id: the blank class.
      id_to_char: with an `lm`, the LM character of each class; the search then emits only
        these classes (and the blank), so e.g. an EOS class without a character is never emitted.
      lm, lm_weight: the language model and its weight α (lm_weight needs an lm).
      word_lm: a word LM (or one interpolated with a backoff LM) to score finished words with
        (needs an lm, which spells the words and scores the current one; see `_Fusion`); the
        alphabet must then have a space.
      char_bonus: β, added per emitted character.
      beam_size: prefixes kept after each frame.
      min_log_prob: classes below this log-probability in a frame are not tried there.

    Returns:
      The best Hypothesis.
    """
    log_probs = np.asarray(log_probs, np.float64)
    _check_args(log_probs, blank_id, id_to_char, lm, word_lm, lm_weight, beam_size)
    fusion = _Fusion(log_probs.shape[1], blank_id, id_to_char, lm, word_lm, lm_weight, char_bonus)
    # Per prefix (a tuple of ids) of the beam: (fusion score, LM state).
    prefixes: dict[tuple[int, ...], tuple[float, _State]] = {(): (0.0, _State(""))}
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
            following[prefix] = [log_add(p_blank, p_char) + blank_p,
                                 p_char + row[prefix[-1]] if prefix and prefix[-1] in column_of
                                 else _NEG_INF]
        if chars.size:
            _extend(beams, chars, column_of, frame, following, prefixes, fusion, beam_size)
        ranked = heapq.nlargest(beam_size, (
            (log_add(p_blank, p_char) + prefixes[prefix][0], prefix, p_blank, p_char)
            for prefix, (p_blank, p_char) in following.items()))
        beams = [(prefix, p_blank, p_char) for _, prefix, p_blank, p_char in ranked]
        prefixes = {prefix: prefixes[prefix] for prefix, _, _ in beams}

    def final_score(beam: _Beam) -> float:
        prefix, p_blank, p_char = beam
        score, state = prefixes[prefix]
        return log_add(p_blank, p_char) + score + fusion.end_gain(state)

    best = max(beams, key=final_score)
    return Hypothesis(list(best[0]), float(final_score(best)))


class _State(NamedTuple):
    """What the fusion score needs to know about a prefix: its character LM context (last order − 1
    characters); with a word LM, also the words before the current one (last order − 1), the
    current word's characters so far and their character-LM log-probability."""
    context: str
    history: tuple[str, ...] = ()
    word: str = ""
    word_log_prob: float = 0.0


class _Fusion:
    """The LM and bonus part of the score: which classes may be emitted, what appending one adds
    (α · log p_lm(c | y) + β) and the LM state after it. With a word LM, p_lm is the word LM's
    probability of each finished word (spelled by the character LM) and, within a word, the
    character LM's probability of its characters so far: appending a space (or ending the
    sentence) swaps the word's character-LM log-probability for its word-LM one."""

    def __init__(self, num_classes: int, blank_id: int, id_to_char: Mapping[int, str] | None,
                 lm: CharNgramLM | None, word_lm: WordLM | None, lm_weight: float,
                 char_bonus: float):
        self.lm, self.word_lm = lm, word_lm
        self.lm_weight, self.char_bonus = lm_weight, char_bonus
        self.id_to_char = id_to_char
        self.classes = np.arange(num_classes)
        self.space_class = -1
        if lm is not None:
            self.classes = np.array(sorted([blank_id, *id_to_char]))
            self.lm_column = np.zeros(num_classes, int)  # class → its character's LM column
            for c, char in id_to_char.items():
                self.lm_column[c] = lm.alphabet.index(char)
                if char == " " and word_lm is not None:
                    self.space_class = c

    def gains(self, states: list[_State], chars: np.ndarray) -> np.ndarray:
        """float [len(states), len(chars)]: the fusion score of appending each char after each
        state."""
        gains = np.full([len(states), chars.size], float(self.char_bonus))
        if self.lm is not None:
            lm_rows = np.stack([self.lm.log_distribution(state.context) for state in states])
            log_probs = lm_rows[:, self.lm_column[chars]]
            space = np.flatnonzero(chars == self.space_class)
            for row, state in enumerate(states):
                if space.size and state.word:
                    log_probs[row, space[0]] = self._word_gain(state, log_probs[row, space[0]])
            gains += self.lm_weight * log_probs
        return gains

    def _word_gain(self, state: _State, boundary_log_prob: float) -> float:
        """The LM log-probability that ending state.word (with a boundary of character-LM
        log-probability `boundary_log_prob`) adds: its word-LM one minus the character-LM one it
        has been scored with so far."""
        spelling = state.word_log_prob + boundary_log_prob
        return self.word_lm.log_prob(state.history, state.word, spelling) - state.word_log_prob

    def state_after(self, state: _State, c: int) -> _State:
        """The LM state after appending class c."""
        if self.lm is None:
            return state
        char = self.id_to_char[c]
        context = (state.context + char)[1 - self.lm.order:] if self.lm.order > 1 else ""
        if self.word_lm is None:
            return _State(context)
        if c == self.space_class:
            if not state.word:
                return _State(context, state.history)
            history = (state.history + (state.word,))[1 - self.word_lm.order:]
            return _State(context, history if self.word_lm.order > 1 else ())
        log_prob = float(self.lm.log_distribution(state.context)[self.lm_column[c]])
        return _State(context, state.history, state.word + char, state.word_log_prob + log_prob)

    def end_gain(self, state: _State) -> float:
        """α · log p_lm(END | y), 0 without an LM; with a word LM, the current word's end too."""
        if self.lm is None:
            return 0.0
        end_log_prob = float(self.lm.log_distribution(state.context)[-1])
        if self.word_lm is None:
            return self.lm_weight * end_log_prob
        gain, history = 0.0, state.history
        if state.word:
            gain = self._word_gain(state, end_log_prob)
            history = state.history + (state.word,)
        return self.lm_weight * (gain + self.word_lm.log_prob(history, WordNgramLM.END))


def _extend(beams: list[_Beam], chars: np.ndarray, column_of: dict[int, int], frame: np.ndarray,
            following: dict[tuple[int, ...], list[float]],
            prefixes: dict[tuple[int, ...], tuple[float, _State]], fusion: _Fusion,
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
            following[prefix][1] = log_add(following[prefix][1], float(extended[row, column]))
            rank[row, column] = _NEG_INF
    flat = rank.ravel()
    count = min(beam_size, int(np.count_nonzero(flat > _NEG_INF)))
    for index in np.argpartition(-flat, count - 1)[:count] if count else []:
        row, column = divmod(int(index), chars.size)
        prefix, c = beams[row][0], int(chars[column])
        score, state = prefixes[prefix]
        prefixes[prefix + (c,)] = (score + float(gains[row, column]), fusion.state_after(state, c))
        following[prefix + (c,)] = [_NEG_INF, float(extended[row, column])]


def _check_args(log_probs: np.ndarray, blank_id: int, id_to_char: Mapping[int, str] | None,
                lm: CharNgramLM | None, word_lm: WordLM | None, lm_weight: float,
                beam_size: int) -> None:
    problems = []
    if log_probs.ndim != 2:
        problems.append(f"log_probs must be [frames, classes], got shape {log_probs.shape}")
    elif not 0 <= blank_id < log_probs.shape[1]:
        problems.append(f"blank_id {blank_id} is not one of the {log_probs.shape[1]} classes")
    if beam_size < 1:
        problems.append(f"beam_size must be >= 1, got {beam_size}")
    if lm is None and lm_weight:
        problems.append(f"lm_weight={lm_weight} needs an lm")
    if word_lm is not None and (lm is None or id_to_char is None
                                or " " not in id_to_char.values()):
        problems.append("a word_lm needs a character lm and id_to_char with a space, which "
                        "separates the words")
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
