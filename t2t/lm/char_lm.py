"""A character n-gram language model (interpolated Witten–Bell or modified Kneser–Ney), for shallow
fusion into CTC beam search (`t2t.speech.prefix_search`).

    lm = CharNgramLM.train(sentences, order=7, alphabet=" 'abcdefghijklmnopqrstuvwxyz")
    lm = CharNgramLM.train(sentences, order=9, alphabet=alphabet, smoothing="kneser_ney")
    lm.log_prob("the ca", "t")             # natural log of p(t | "the ca")
    lm.log_prob("the cat", CharNgramLM.END)  # ... of the sentence ending after "the cat"
    lm.save("lm.json"); CharNgramLM.load("lm.json")

A sentence of n characters predicts n + 1 symbols: its characters, then END. A prediction's context
is the order − 1 characters before it; sentences start with order − 1 START markers, so at order 3
"to" counts the n-grams (START START → t), (START t → o), (t o → END). A context given to
`log_prob` is the text of the sentence so far: when shorter than order − 1 characters it is the
sentence's start.

Interpolated Witten–Bell: for a context h and its suffix h' one character shorter,

    p(c | h) = (count(h, c) + types(h) · p(c | h')) / (count(h) + types(h))

where count(h) is how often h was followed by any symbol and types(h) by how many distinct ones. An
unseen context (count 0) falls back to p(c | h'), and the empty context interpolates with the
uniform distribution over alphabet + END. So every symbol of alphabet + END has a non-zero
probability, and the distribution over them sums to 1 for any context.

Interpolated modified Kneser–Ney (`t2t.lm.smoothing`) subtracts a discount D(n) from each count
n instead, D1, D2 or D3 for counts 1, 2, ≥ 3, and gives the subtracted mass to the shorter context:

    p(c | h) = max(n(h, c) − D(n(h, c)), 0) / n(h) + (Σ_c' D(n(h, c'))) / n(h) · p(c | h')

where below the full order n(h, c) counts the distinct symbols seen before h c (against
Witten–Bell, measured: docs/benchmarks.md, "Before: 11.9 % test WER").

File format: JSON {"format": "t2t-char-ngram-lm", "version": 2, "order": int, "alphabet": str,
"smoothing": "witten_bell" | "kneser_ney", "counts": {context: {symbol: count}}}, holding only the
full-order counts (contexts of order − 1 characters; START is written "\\u0002", END "\\u0003"):
every lower-order count is a sum of them and is rebuilt on load.
"""
from __future__ import annotations

import collections
import functools
from collections.abc import Iterable

import numpy as np

from t2t.lm import json_files
from t2t.lm.smoothing import SMOOTHINGS, kneser_ney_counts, kneser_ney_discounts

FORMAT = "t2t-char-ngram-lm"
VERSION = 2  # 2 added the smoothing
# Contexts whose distributions stay cached; a beam search touches far fewer per utterance.
_CACHE_SIZE = 1 << 16


class CharNgramLM:
    """An interpolated Witten–Bell or modified Kneser–Ney character n-gram model (see the module
    docstring).

    Build one with `train` or `load`. Distributions are over `alphabet` + END, in that order
    (index len(alphabet) is END).
    """

    START = "\x02"  # pads the start of every sentence; never predicted
    END = "\x03"    # ends every sentence

    def __init__(self, order: int, alphabet: str, counts: dict[str, dict[str, int]],
                 smoothing: str = "witten_bell"):
        """`counts`: full-order counts, {context of order − 1 symbols: {symbol: count ≥ 1}};
        `smoothing`: one of SMOOTHINGS. Use `train` or `load` rather than calling this directly."""
        _check_config(order, alphabet, smoothing)
        self.order, self.alphabet, self.smoothing = order, alphabet, smoothing
        self._counts = counts
        self._index = {symbol: i for i, symbol in enumerate(alphabet + self.END)}
        self._start_padding = self.START * (order - 1)
        self._context_symbols = set(alphabet + self.START)
        # Every context of 0..order − 1 symbols seen in training → {next symbol: count}.
        self._followers: dict[str, collections.Counter] = collections.defaultdict(
            collections.Counter)
        for context, symbols in counts.items():
            for length in range(len(context) + 1):
                self._followers[context[len(context) - length:]].update(symbols)
        self._followers = dict(self._followers)
        if smoothing == "kneser_ney":
            self._followers = kneser_ney_counts(self._followers, order, self.START)
            self._discounts = kneser_ney_discounts(self._followers)
        self._uniform = np.full(len(self._index), 1.0 / len(self._index))
        self._probabilities = functools.lru_cache(maxsize=_CACHE_SIZE)(self._compute_probabilities)
        self._log_probabilities = functools.lru_cache(maxsize=_CACHE_SIZE)(
            self._compute_log_probabilities)

    # -- building
    @classmethod
    def train(cls, sentences: Iterable[str], order: int = 7, *, alphabet: str,
              smoothing: str = "witten_bell") -> CharNgramLM:
        """Counts the n-grams of `sentences` (normalized text, e.g. by
        `t2t.speech.transcripts.normalize`) over the characters of `alphabet`.

        Raises ValueError if there are no sentences, a sentence has a character outside
        `alphabet` (naming the sentence and the characters) or `smoothing` is not in SMOOTHINGS.
        """
        _check_config(order, alphabet, smoothing)
        known = set(alphabet)
        padding = cls.START * (order - 1)
        counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        number = 0
        for number, sentence in enumerate(sentences, 1):
            unknown = sorted(set(sentence) - known)
            if unknown:
                raise ValueError(f"sentence {number} {sentence!r} has characters "
                                 f"{''.join(unknown)!r} outside the alphabet {alphabet!r}")
            padded = padding + sentence + cls.END
            for position in range(order - 1, len(padded)):
                counts[padded[position - order + 1:position]][padded[position]] += 1
        if not number:
            raise ValueError("CharNgramLM.train: no sentences")
        return cls(order, alphabet, {context: dict(symbols) for context, symbols in counts.items()},
                   smoothing)

    # -- probabilities
    def log_distribution(self, context: str) -> np.ndarray:
        """float64 [len(alphabet) + 1]: natural-log probabilities of each alphabet character, then
        END, after `context` (the sentence so far; only its last order − 1 characters matter).
        Cached per context; do not modify the returned array."""
        return self._log_probabilities(self._key(context))

    def log_prob(self, context: str, char: str) -> float:
        """Natural log of p(char | context); `char` is one alphabet character or END."""
        if char not in self._index:
            raise ValueError(f"CharNgramLM: {char!r} is neither a character of the alphabet "
                             f"{self.alphabet!r} nor CharNgramLM.END")
        return float(self.log_distribution(context)[self._index[char]])

    def sentence_log_prob(self, text: str) -> float:
        """Natural log of p(text's characters, then END)."""
        return sum(self.log_prob(text[max(0, i - self.order + 1):i], char)
                   for i, char in enumerate(text + self.END))

    def _key(self, context: str) -> str:
        """The last order − 1 symbols of the START-padded context."""
        return (self._start_padding + context)[1 - self.order:] if self.order > 1 else ""

    def _compute_log_probabilities(self, key: str) -> np.ndarray:
        if not set(key) <= self._context_symbols:
            raise ValueError(f"CharNgramLM: context ...{key!r} has characters outside the "
                             f"alphabet {self.alphabet!r}")
        log_probabilities = np.log(self._probabilities(key))
        log_probabilities.flags.writeable = False
        return log_probabilities

    def _compute_probabilities(self, key: str) -> np.ndarray:
        lower = self._probabilities(key[1:]) if key else self._uniform
        followers = self._followers.get(key)
        if not followers:
            return lower
        counts = np.zeros(len(self._index))
        for symbol, count in followers.items():
            counts[self._index[symbol]] = count
        if self.smoothing == "kneser_ney":
            one, two, more = self._discounts[len(key)]
            discounts = np.where(counts >= 3, more, np.where(counts == 2, two, one)) * (counts > 0)
            return (counts - discounts + discounts.sum() * lower) / counts.sum()
        types = len(followers)
        return (counts + types * lower) / (counts.sum() + types)

    # -- files
    def save(self, path: str) -> None:
        """Writes the model as JSON (see the module docstring), atomically."""
        json_files.write(path, FORMAT, VERSION, {"order": self.order, "alphabet": self.alphabet,
                                                 "smoothing": self.smoothing,
                                                 "counts": self._counts})

    @classmethod
    def load(cls, path: str) -> CharNgramLM:
        """Reads a file written by `save`.

        Raises FileNotFoundError if it is missing, ValueError naming the file if it is not such a
        model or has another version.
        """
        data = json_files.read(path, FORMAT, VERSION, "character LM", "t2t-char-lm",
                               check=_format_problem)
        return cls(data["order"], data["alphabet"], data["counts"], data["smoothing"])


def _check_config(order: int, alphabet: str, smoothing: str) -> None:
    if order < 1:
        raise ValueError(f"CharNgramLM: order must be >= 1, got {order}")
    if smoothing not in SMOOTHINGS:
        raise ValueError(f"CharNgramLM: smoothing must be one of {SMOOTHINGS}, got {smoothing!r}")
    if not alphabet or len(set(alphabet)) != len(alphabet):
        raise ValueError(f"CharNgramLM: the alphabet {alphabet!r} must be non-empty, without "
                         f"repeated characters")
    if CharNgramLM.START in alphabet or CharNgramLM.END in alphabet:
        raise ValueError(f"CharNgramLM: the alphabet {alphabet!r} must not contain the START "
                         f"(\\x02) or END (\\x03) markers")


def _format_problem(data: dict) -> str:
    """What is wrong with a loaded file's order, alphabet and counts ("" if nothing)."""
    order, alphabet, counts = data.get("order"), data.get("alphabet"), data.get("counts")
    if not isinstance(order, int) or order < 1:
        return f"order {order!r} is not an integer >= 1"
    if data.get("smoothing") not in SMOOTHINGS:
        return f"smoothing {data.get('smoothing')!r} is not one of {SMOOTHINGS}"
    if not isinstance(alphabet, str) or not isinstance(counts, dict):
        return "\"alphabet\" must be a string and \"counts\" an object"
    contexts, symbols = set(alphabet + CharNgramLM.START), set(alphabet + CharNgramLM.END)
    for context, followers in counts.items():
        if len(context) != order - 1 or not set(context) <= contexts:
            return f"context {context!r} is not {order - 1} characters of the alphabet or START"
        if not isinstance(followers, dict) or not all(
                symbol in symbols and isinstance(count, int) and count > 0
                for symbol, count in followers.items()):
            return f"the counts after {context!r} are not {{symbol: positive integer}}"
    return ""
