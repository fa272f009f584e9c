"""A word n-gram language model (interpolated Witten–Bell or modified Kneser–Ney) with an open
vocabulary and an optional lexicon, fused into CTC beam search next to a character LM
(`t2t.speech.prefix_search`).

    lm = WordNgramLM.train(sentences, order=3)
    lm = WordNgramLM.train(sentences, order=3, smoothing="kneser_ney")
    lm = WordNgramLM.train(sentences, order=3, lexicon=["aardvark", ...], lexicon_count=0.5)
    lm.log_prob(("the", "cat"), "sat", spelling_log_prob=-12.0)  # natural log of p(sat | the cat)
    lm.log_prob(("the", "cat"), WordNgramLM.END)                 # ... of the sentence ending there
    lm.save("words.json"); WordNgramLM.load("words.json")

A sentence of n words predicts n + 1 symbols: its words, then END; histories are padded with
order − 1 START markers. For a history h and its suffix h' one word shorter,

    p(w | h) = (count(h, w) + types(h) · p(w | h')) / (count(h) + types(h))

(an unseen history falls back to p(w | h')), and the empty history interpolates with a spelling
model instead of a uniform distribution, so that any word has a probability, seen or not:

    p(w) = (count(w) + c · [w in L] + types · p_spell(w)) / (tokens + c · |L| + types)

A lexicon L (e.g. a dictionary's word list) gives each of its words a pseudo-count c
(`lexicon_count`) at this level only: a word the text never shows but the lexicon knows is then
likelier than a spelling no one has written, while the text's n-grams keep deciding between words
they have seen. Without a lexicon (c · |L| = 0) this is plain Witten–Bell.

Modified Kneser–Ney (smoothing "kneser_ney"; `t2t.lm.smoothing` estimates the discounts D1, D2,
D3 of counts 1, 2, ≥ 3 per order) subtracts a discount from each count and gives the
subtracted mass to the shorter history, reading continuation counts at every order but the full
one (the number of distinct words seen before h w instead of the count of h w; histories that begin
with START keep their counts):

    p(w | h) = max(n(h, w) − D(n(h, w)), 0) / n(h) + (Σ_w' D(n(h, w'))) / n(h) · p(w | h')
    p(w) = (max(n(w) − D(n(w)), 0) + c · [w in L] + (Σ_w' D(n(w'))) · p_spell(w)) / (n + c · |L|)

p_spell is given by the caller for each query (`spelling_log_prob`); in decoding it is the character
LM's probability of the word's characters and the boundary after them, in their context. END is
never spelled (p_spell(END) = 0). If p_spell sums to 1 over a set of words, p(· | h) sums to 1 over
that set + END for every h.

File format: JSON {"format": "t2t-word-ngram-lm", "version": 3, "order": int, "smoothing":
"witten_bell" | "kneser_ney", "counts": {history: {word: count}}, "lexicon": [word, ...],
"lexicon_count": float}, holding only the full-order counts
(histories of order − 1 words, joined by spaces; START is written "<s>", END "</s>"): every
lower-order count is a sum of them and is rebuilt on load.
"""
from __future__ import annotations

import collections
import functools
import math
from collections.abc import Iterable, Sequence

from t2t.lm import json_files
from t2t.lm.smoothing import SMOOTHINGS, discount, kneser_ney_counts, kneser_ney_discounts

FORMAT = "t2t-word-ngram-lm"
VERSION = 3  # 2 added the lexicon, 3 the smoothing
_CACHE_SIZE = 1 << 18


class WordNgramLM:
    """An interpolated Witten–Bell or modified Kneser–Ney word n-gram model over an open vocabulary
    (see the module docstring). Build one with `train` or `load`."""

    START = "<s>"   # pads the start of every sentence; never predicted
    END = "</s>"    # ends every sentence

    def __init__(self, order: int, counts: dict[str, dict[str, int]],
                 lexicon: Iterable[str] = (), lexicon_count: float = 0.0,
                 smoothing: str = "witten_bell"):
        """`counts`: full-order counts, {history of order − 1 words joined by spaces: {word: count
        ≥ 1}}; `lexicon`, `lexicon_count`: see the module docstring; `smoothing`: one of
        SMOOTHINGS. Use `train` or `load` rather than calling this directly."""
        _check_config(order, smoothing)
        self.lexicon = frozenset(lexicon)
        problem = _lexicon_problem(list(self.lexicon), lexicon_count)
        if problem:
            raise ValueError(f"WordNgramLM: {problem}")
        self.order, self.smoothing = order, smoothing
        self.lexicon_count = float(lexicon_count)
        self._counts = counts
        # Every history of 0..order − 1 words seen in training → {next word: count}.
        followers: dict[tuple[str, ...], collections.Counter] = collections.defaultdict(
            collections.Counter)
        for history, words in counts.items():
            history_words = tuple(history.split(" ")) if order > 1 else ()
            for length in range(len(history_words) + 1):
                followers[history_words[len(history_words) - length:]].update(words)
        self._followers = {history: dict(words) for history, words in followers.items()}
        if smoothing == "kneser_ney":
            self._followers = kneser_ney_counts(self._followers, order, (self.START,))
            # history length → (D1, D2, D3); history → (count(h), the mass its discounts free).
            self._discounts = kneser_ney_discounts(self._followers)
            self._totals = {history: (sum(words.values()),
                                      sum(discount(self._discounts[len(history)], count)
                                          for count in words.values()))
                            for history, words in self._followers.items()}
        else:
            # history → (count(h), types(h)): the Witten–Bell denominators.
            self._totals = {history: (sum(words.values()), len(words))
                            for history, words in self._followers.items()}
        self._seen_probability = functools.lru_cache(maxsize=_CACHE_SIZE)(
            self._compute_seen_probability)

    # -- building
    @classmethod
    def train(cls, sentences: Iterable[str], order: int = 3, lexicon: Iterable[str] = (),
              lexicon_count: float = 0.0, smoothing: str = "witten_bell") -> WordNgramLM:
        """Counts the n-grams of `sentences` (normalized text, words separated by single spaces);
        `lexicon` words get the unigram pseudo-count `lexicon_count` (see the module docstring).

        Raises ValueError if there are no sentences, the order is < 1, lexicon_count is negative,
        a lexicon entry is not a word (empty, with a space, or START / END) or `smoothing` is not
        in SMOOTHINGS.
        """
        _check_config(order, smoothing)
        counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        number = 0
        for number, sentence in enumerate(sentences, 1):
            padded = [cls.START] * (order - 1) + sentence.split() + [cls.END]
            for position in range(order - 1, len(padded)):
                counts[" ".join(padded[position - order + 1:position])][padded[position]] += 1
        if not number:
            raise ValueError("WordNgramLM.train: no sentences")
        return cls(order, {history: dict(words) for history, words in counts.items()}, lexicon,
                   lexicon_count, smoothing)

    # -- probabilities
    def log_prob(self, history: Sequence[str], word: str,
                 spelling_log_prob: float = -math.inf) -> float:
        """Natural log of p(word | history), `history` being the sentence's words so far (only the
        last order − 1 matter) and `spelling_log_prob` the log of p_spell(word) (ignored for END).
        """
        key = self._key(history)
        seen, novelty = self._seen_probability(key, word)
        spelled = novelty * math.exp(spelling_log_prob) if word != self.END else 0.0
        total = seen + spelled
        return math.log(total) if total > 0 else -math.inf

    def _key(self, history: Sequence[str]) -> tuple[str, ...]:
        """The last order − 1 words of the START-padded history."""
        if self.order == 1:
            return ()
        return tuple([self.START] * (self.order - 1) + list(history))[1 - self.order:]

    def _compute_seen_probability(self, key: tuple[str, ...], word: str) -> tuple[float, float]:
        """p(word | key) = seen + novelty · p_spell(word): the counts' part and the weight the
        interpolation gives to the spelling model."""
        in_lexicon = self.lexicon_count if word in self.lexicon else 0.0
        pseudo_counts = self.lexicon_count * len(self.lexicon)
        seen, novelty = 0.0, 1.0
        for length in range(len(key) + 1):
            history = key[len(key) - length:]
            followers = self._followers.get(history)
            if not followers:
                continue
            count = followers.get(word, 0)
            total, freed = self._totals[history]  # Witten–Bell: freed = types(h)
            if self.smoothing == "kneser_ney":
                count -= discount(self._discounts[len(history)], count)
            else:
                total += freed
            if not history:
                count, total = count + in_lexicon, total + pseudo_counts
            scale = freed / total
            seen = count / total + scale * seen
            novelty *= scale
        return seen, novelty

    # -- files
    def save(self, path: str) -> None:
        """Writes the model as JSON (see the module docstring), atomically."""
        json_files.write(path, FORMAT, VERSION, {
            "order": self.order, "smoothing": self.smoothing, "counts": self._counts,
            "lexicon": sorted(self.lexicon), "lexicon_count": self.lexicon_count})

    @classmethod
    def load(cls, path: str) -> WordNgramLM:
        """Reads a file written by `save`.

        Raises FileNotFoundError if it is missing, ValueError naming the file if it is not such a
        model or has another version.
        """
        data = json_files.read(path, FORMAT, VERSION, "word LM", "t2t-word-lm",
                               check=_format_problem)
        return cls(data["order"], data["counts"], data["lexicon"], data["lexicon_count"],
                   data["smoothing"])


def _check_config(order: int, smoothing: str) -> None:
    if order < 1:
        raise ValueError(f"WordNgramLM: order must be >= 1, got {order}")
    if smoothing not in SMOOTHINGS:
        raise ValueError(f"WordNgramLM: smoothing must be one of {SMOOTHINGS}, got {smoothing!r}")


def _lexicon_problem(lexicon: list, lexicon_count: object) -> str:
    """What is wrong with a lexicon and its pseudo-count ("" if nothing)."""
    if (isinstance(lexicon_count, bool) or not isinstance(lexicon_count, (int, float))
            or not math.isfinite(lexicon_count) or lexicon_count < 0):
        return f"lexicon_count {lexicon_count!r} is not a finite number >= 0"
    for word in lexicon:
        if (not isinstance(word, str) or not word or " " in word
                or word in (WordNgramLM.START, WordNgramLM.END)):
            return f"lexicon entry {word!r} is not a word"
    return ""


def _format_problem(data: dict) -> str:
    """What is wrong with a loaded file's order, counts and lexicon ("" if nothing)."""
    order, counts = data.get("order"), data.get("counts")
    if not isinstance(order, int) or order < 1:
        return f"order {order!r} is not an integer >= 1"
    if data.get("smoothing") not in SMOOTHINGS:
        return f"smoothing {data.get('smoothing')!r} is not one of {SMOOTHINGS}"
    if not isinstance(counts, dict) or not counts:
        return "\"counts\" must be a non-empty object"
    for history, followers in counts.items():
        if len(history.split(" ")) != max(order - 1, 1) or (order == 1 and history):
            return f"history {history!r} is not {order - 1} words"
        if not isinstance(followers, dict) or not all(
                word and " " not in word and word != WordNgramLM.START
                and isinstance(count, int) and count > 0 for word, count in followers.items()):
            return f"the counts after {history!r} are not {{word: positive integer}}"
    if not isinstance(data.get("lexicon"), list):
        return "\"lexicon\" must be a list of words"
    return _lexicon_problem(data["lexicon"], data.get("lexicon_count"))
