"""A closed-vocabulary backoff word n-gram LM, read from an ARPA file (SRILM, KenLM, CMU Sphinx
write them) or a CMU Sphinx trie binary (`t2t.lm.sphinx_trie`), to interpolate with the
open-vocabulary `t2t.lm.word_lm` in CTC decoding (`t2t.lm.mixture`).

    lm = BackoffLM.load("lm.arpa")              # ARPA text, or lm.arpa.gz
    lm = BackoffLM.load("/usr/share/pocketsphinx/model/en-us/en-us.lm.bin")   # Sphinx binary
    lm.log_prob(("<s>", "the"), "cat")          # natural log of p(cat | <s> the)
    lm.log_prob(("the",), "zyzzyva")            # None: not in the vocabulary

The model lists n-grams g (up to `order` words) with a probability P(g) and, below the full order,
a backoff weight B(g). For a word w and a history h (its last order − 1 words; h' is h without its
first word):

    p(w | h) = P(h w)            if the model lists h w,
               B(h) · p(w | h')  otherwise (B(h) = 1 if h is not listed),

down to p(w) = P(w). A history of fewer than order − 1 words is padded with START (the sentence's
start), and only its words after the last START ("<s> <s> the" reads as "<s> the") and after the
last word outside the vocabulary count. END ("</s>") is predicted like a word. Words outside the
vocabulary have no probability here (`log_prob` returns None): the open-vocabulary LM they are
mixed with spells them.

ARPA files hold log10 values:

    \\data\\
    ngram 1=3
    ngram 2=1

    \\1-grams:
    -0.5  <s>  -0.3
    -0.4  the  -0.2
    -0.6  </s>

    \\2-grams:
    -0.1  <s> the

    \\end\\

(probability, words, then the backoff weight if there is one, separated by tabs or spaces).

N-grams are stored in one dict keyed by an integer that spells the word ids in base
vocabulary size + 1 (digits 1..V), so that n-grams of every order share it without collisions
(memory and reading time measured: docs/benchmarks.md, "Facts moved from docstrings").
"""
from __future__ import annotations

import functools
import gzip
import math
import os
import re
from collections.abc import Iterator, Sequence

import numpy as np

from t2t.data import atomic_files

from t2t.lm import sphinx_trie

START = "<s>"
_LN_10 = math.log(10.0)
_CACHE_SIZE = 1 << 18
_COUNT_LINE = re.compile(r"ngram\s+(\d+)\s*=\s*(\d+)$")


class BackoffLM:
    """A backoff word n-gram model over a closed vocabulary (see the module docstring). Build one
    with `load` or `from_tables`."""

    def __init__(self, vocabulary: Sequence[str], order: int, log_probs: dict[int, float],
                 log_backoffs: dict[int, float]):
        """`log_probs`, `log_backoffs`: natural logs of P(g) and B(g) by `_key` of g's word
        ids (`log_backoffs` may leave out zeros). Use `load` or `from_tables` instead."""
        self.vocabulary = list(vocabulary)
        self.order = order
        self._ids = {word: index for index, word in enumerate(self.vocabulary)}
        if len(self._ids) != len(self.vocabulary):
            raise ValueError("BackoffLM: the vocabulary lists a word twice")
        self._base = len(self.vocabulary) + 1
        self._log_probs, self._log_backoffs = log_probs, log_backoffs
        self._start_id = self._ids.get(START)
        self._lookup = functools.lru_cache(maxsize=_CACHE_SIZE)(self._compute_lookup)

    # -- building
    @classmethod
    def from_tables(cls, vocabulary: Sequence[str],
                    tables: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None]]
                    ) -> BackoffLM:
        """One table per order n = 1, 2, ...: (word ids int [count, n] in reading order, natural
        log P float [count], natural log B float [count], or None for the highest order)."""
        base = len(vocabulary) + 1
        log_probs: dict[int, float] = {}
        log_backoffs: dict[int, float] = {}
        for n, (ids, probs, backoffs) in enumerate(tables, start=1):
            ids = np.asarray(ids)
            if ids.ndim != 2 or ids.shape[1] != n or len(probs) != len(ids):
                raise ValueError(f"BackoffLM: the {n}-gram table has ids of shape {ids.shape} and "
                                 f"{len(probs)} probabilities; expected [count, {n}] and count")
            if len(ids) and (ids.min() < 0 or ids.max() >= len(vocabulary)):
                raise ValueError(f"BackoffLM: a {n}-gram's word id is outside the vocabulary of "
                                 f"{len(vocabulary)}")
            keys = np.zeros(len(ids), dtype=object)
            for column in range(n):
                keys = keys * base + (ids[:, column].astype(object) + 1)
            keys = keys.tolist()
            log_probs.update(zip(keys, np.asarray(probs, np.float64).tolist()))
            if backoffs is not None:
                nonzero = np.flatnonzero(np.asarray(backoffs))
                log_backoffs.update((keys[i], float(backoffs[i])) for i in nonzero)
        return cls(vocabulary, len(tables), log_probs, log_backoffs)

    @classmethod
    def load(cls, path: str) -> BackoffLM:
        """Reads an ARPA file (gzipped if it ends in .gz) or a CMU Sphinx trie binary.

        Raises FileNotFoundError if there is no such file, ValueError naming the file and line if it
        is neither or is malformed."""
        path = os.path.expanduser(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"backoff LM {path}: no such file")
        if sphinx_trie.is_sphinx_trie(path):
            return cls.from_tables(*sphinx_trie.read(path))
        opener = gzip.open if path.endswith(".gz") else open
        try:
            with opener(path, "rt", encoding="utf-8") as lines:
                return _read_arpa(path, enumerate(lines, start=1))
        except (UnicodeDecodeError, gzip.BadGzipFile) as error:
            raise ValueError(f"backoff LM {path}: neither ARPA text nor a CMU Sphinx trie binary "
                             f"({error})") from None

    # -- scoring
    def log_prob(self, history: Sequence[str], word: str) -> float | None:
        """Natural log of p(word | history), `history` being the sentence's words so far (only
        the last order − 1 matter; a shorter one is the start of a sentence, as in
        `WordNgramLM.log_prob`), or None if `word` is not in the vocabulary."""
        found = self._lookup(self._context(history), word)
        return None if found is None else found[0]

    def matched_order(self, history: Sequence[str], word: str) -> int:
        """The length of the longest listed n-gram that p(word | history) was read from (order:
        the model lists history + word; 1: it backed off to the unigram; 0: `word` is not in the
        vocabulary)."""
        found = self._lookup(self._context(history), word)
        return 0 if found is None else found[1]

    def _context(self, history: Sequence[str]) -> tuple[str, ...]:
        """The last order − 1 words of the START-padded history."""
        if self.order == 1:
            return ()
        return ((START,) * (self.order - 1) + tuple(history))[1 - self.order:]

    def _key(self, ids: Sequence[int]) -> int:
        """The dict key of the n-gram of these word ids: their digits in base V + 1."""
        key = 0
        for word_id in ids:
            key = key * self._base + word_id + 1
        return key

    def _compute_lookup(self, history: tuple[str, ...], word: str) -> tuple[float, int] | None:
        """(natural log of p(word | history), length of the n-gram it was read from), or None if
        `word` is not in the vocabulary."""
        word_id = self._ids.get(word)
        if word_id is None:
            return None
        context: list[int] = []  # the usable history, most recent word first
        for previous in reversed(history):
            previous_id = self._ids.get(previous)
            if previous_id is None:
                break
            context.append(previous_id)
            if previous_id == self._start_id:
                break
        backoff = 0.0
        for length in range(len(context), -1, -1):
            history_ids = context[:length][::-1]
            log_prob = self._log_probs.get(self._key([*history_ids, word_id]))
            if log_prob is not None:
                return backoff + log_prob, length + 1
            backoff += self._log_backoffs.get(self._key(history_ids), 0.0)
        return None  # a vocabulary word without a unigram: listed nowhere

    # -- writing (for tests and other tools)
    def write_arpa(self, path: str) -> None:
        """Writes the model as an ARPA file (log10 values, 6 decimals), atomically."""
        grams: list[list[str]] = [[] for _ in range(self.order)]
        for key, log_prob in self._log_probs.items():
            ids = self._ids_of(key)
            line = f"{log_prob / _LN_10:.6f}\t{' '.join(self.vocabulary[i] for i in ids)}"
            if len(ids) < self.order:
                line += f"\t{self._log_backoffs.get(key, 0.0) / _LN_10:.6f}"
            grams[len(ids) - 1].append(line)
        parts = ["\\data\\"] + [f"ngram {n}={len(lines)}" for n, lines in enumerate(grams, 1)]
        for n, lines in enumerate(grams, start=1):
            parts += ["", f"\\{n}-grams:", *sorted(lines, key=lambda line: line.split("\t")[1])]
        atomic_files.write_text(path, "\n".join(parts + ["", "\\end\\", ""]))

    def _ids_of(self, key: int) -> list[int]:
        ids = []
        while key:
            key, digit = divmod(key, self._base)
            ids.append(digit - 1)
        return ids[::-1]


def _read_arpa(path: str, lines: Iterator[tuple[int, str]]) -> BackoffLM:
    """Parses ARPA text: the \\data\\ counts, then each \\n-grams: section, then \\end\\."""
    def fail(number: int, message: str) -> ValueError:
        return ValueError(f"ARPA LM {path}:{number}: {message}")

    number, line = _next_content(lines, 0)
    while line != "\\data\\":  # tools may write free text before the header
        if line is None:
            raise fail(number, "no \\data\\ header: not an ARPA language model")
        number, line = _next_content(lines, number)
    counts: list[int] = []
    number, line = _next_content(lines, number)
    while line is not None and (match := _COUNT_LINE.match(line)):
        if int(match.group(1)) != len(counts) + 1:
            raise fail(number, f"expected the count of {len(counts) + 1}-grams, got {line!r}")
        counts.append(int(match.group(2)))
        number, line = _next_content(lines, number)
    if not counts:
        raise fail(number, f"expected 'ngram 1=<count>' after \\data\\, got {line!r}")
    order = len(counts)
    vocabulary: list[str] = []
    ids: dict[str, int] = {}
    tables = []
    for n in range(1, order + 1):
        if line != f"\\{n}-grams:":
            raise fail(number, f"expected \\{n}-grams:, got {line!r}")
        grams, probs, backoffs = [], [], []
        number, line = _next_content(lines, number)
        while line is not None and not line.startswith("\\"):
            fields = line.split()
            if len(fields) not in (n + 1, n + 2) or (n == order and len(fields) == n + 2):
                raise fail(number, f"expected a log10 probability, {n} word(s)"
                                   f"{' and an optional log10 backoff' if n < order else ''}, "
                                   f"got {line!r}")
            numbers = [fields[0], *fields[n + 1:]]
            try:
                values = [float(value) for value in numbers]
            except ValueError:
                bad = next(value for value in numbers if not _is_number(value))
                raise fail(number, f"{bad!r} is not a number (a log10 value)") from None
            words = fields[1:n + 1]
            if n == 1:
                if words[0] in ids:
                    raise fail(number, f"the unigram {words[0]!r} is listed twice")
                ids[words[0]] = len(vocabulary)
                vocabulary.append(words[0])
            unknown = [word for word in words if word not in ids]
            if unknown:
                raise fail(number, f"{unknown[0]!r} has no unigram")
            grams.append([ids[word] for word in words])
            probs.append(values[0] * _LN_10)
            backoffs.append(values[1] * _LN_10 if len(values) > 1 else 0.0)
            number, line = _next_content(lines, number)
        if len(grams) != counts[n - 1]:
            raise fail(number, f"the header promises {counts[n - 1]} {n}-grams, the section has "
                               f"{len(grams)}")
        tables.append((np.array(grams, np.int64).reshape(-1, n), np.array(probs),
                       np.array(backoffs) if n < order else None))
    if line != "\\end\\":
        raise fail(number, f"expected \\end\\ after the {order}-grams, got {line!r}")
    return BackoffLM.from_tables(vocabulary, tables)


def _next_content(lines: Iterator[tuple[int, str]], number: int) -> tuple[int, str | None]:
    """The next non-blank line, stripped, with its number (None at the end of the file)."""
    for number, line in lines:
        if line.strip():
            return number, line.strip()
    return number + 1, None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
