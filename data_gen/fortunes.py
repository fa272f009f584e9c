"""Short English sentences from the Debian `fortunes` databases (/usr/share/games/fortunes).

Every database file is read (the `.dat` indexes and `.u8` links are skipped, and so is the `off/`
folder of offensive fortunes). A file holds fortunes separated by lines of "%"; attribution lines
("-- Mark Twain") are dropped, each fortune's lines are joined, and it is cut into sentences after
".", "!" or "?". Each sentence is normalized with `transcripts.normalize`; the rejected ones, and
those with fewer than `min_words` or more than `max_words` words, are counted and left out.
"""
from __future__ import annotations

import collections
import os
import re

from t2t.data_gen import transcripts

FORTUNES_DIR = "/usr/share/games/fortunes"
_ATTRIBUTION = re.compile(r"^\s*--")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def read_sentences(min_words: int, max_words: int, fortunes_dir: str = FORTUNES_DIR,
                   ) -> tuple[list[str], collections.Counter]:
    """Returns (distinct normalized sentences, sorted; counts of what was left out and why).

    Raises FileNotFoundError naming the Debian package when `fortunes_dir` has no databases.
    """
    files = _database_files(fortunes_dir)
    sentences: set[str] = set()
    dropped: collections.Counter = collections.Counter()
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as file:
            for fortune in file.read().split("\n%\n"):
                for sentence in _sentences(fortune):
                    normalized, reason = transcripts.normalize(sentence)
                    if normalized is not None and not min_words <= len(normalized.split()) <= max_words:
                        normalized, reason = None, "length"
                    if normalized is None:
                        dropped[reason] += 1
                    else:
                        sentences.add(normalized)
    return sorted(sentences), dropped


def _database_files(fortunes_dir: str) -> list[str]:
    names = sorted(os.listdir(fortunes_dir)) if os.path.isdir(fortunes_dir) else []
    files = [os.path.join(fortunes_dir, name) for name in names
             if not name.endswith((".dat", ".u8")) and
             os.path.isfile(os.path.join(fortunes_dir, name))]
    if not files:
        raise FileNotFoundError(f"no fortune databases in {fortunes_dir}; install the Debian "
                                "package 'fortunes' (apt-get install fortunes)")
    return files


def _sentences(fortune: str) -> list[str]:
    lines = [line for line in fortune.splitlines() if not _ATTRIBUTION.match(line)]
    return [part for part in _SENTENCE_END.split(" ".join(" ".join(lines).split())) if part]
