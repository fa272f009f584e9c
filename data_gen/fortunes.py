"""English sentences from the Debian `fortunes` databases (/usr/share/games/fortunes).

The one reader of those files, for both offline corpora (Apertium translation, espeak-ng speech).
The databases read are the 43 of Debian's `fortunes` and `fortunes-min` packages (`DATABASES`),
not every file in the folder: other fortune packages install theirs there too (bofh-excuses,
anarchism, ...), and reading them would change every sentence split and so every corpus built
from it. A file holds fortunes separated by lines of "%". Each
fortune loses its attribution (from the first line starting with "--", e.g. "-- Mark Twain", to its
end) and terminal overstriking ("_\\bX"), its whitespace is collapsed, and it is split into sentences
after ".", "!" or "?" (maybe closed by a quote or parenthesis) before a capital letter.
"""
from __future__ import annotations

import collections
import os
import re
from collections.abc import Iterator

from t2t.speech import transcripts

FORTUNES_DIR = "/usr/share/games/fortunes"
# What Debian 12's `fortunes` (1:1.99.1-7.3) and `fortunes-min` install in FORTUNES_DIR, sorted.
DATABASES = (
    "art", "ascii-art", "computers", "cookie", "debian", "definitions", "disclaimer", "drugs",
    "education", "ethnic", "food", "fortunes", "goedel", "humorists", "kids", "knghtbrd", "law",
    "linux", "linuxcookie", "literature", "love", "magic", "medicine", "men-women",
    "miscellaneous", "news", "paradoxum", "people", "perl", "pets", "platitudes", "politics",
    "pratchett", "riddles", "science", "songs-poems", "sports", "startrek", "tao", "translate-me",
    "wisdom", "work", "zippy")

_FORTUNE_SEPARATOR = re.compile(r"^%$", re.MULTILINE)
_OVERSTRIKE = re.compile(r".\x08")
_ATTRIBUTION = re.compile(r"^\s*--")
# After . ! or ? (maybe closed by a quote or parenthesis), before a capital (maybe quoted).
_SENTENCE_BOUNDARY = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')]))\s+(?=[\"'(]?[A-Z])")


def fortune_files(fortunes_dir: str = FORTUNES_DIR) -> list[str]:
    """The paths of `DATABASES` in `fortunes_dir`, in that (sorted) order; other files there are
    not read.

    Raises FileNotFoundError naming the Debian package when there are none, and naming the missing
    ones when only some are there.
    """
    paths = [os.path.join(fortunes_dir, name) for name in DATABASES]
    missing = [path for path in paths if not os.path.isfile(path)]
    if len(missing) == len(paths):
        raise FileNotFoundError(f"no fortune files in {fortunes_dir}; install the Debian package "
                                f"`fortunes` (sudo apt-get install fortunes)")
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of the {len(paths)} fortune databases the corpora are built from are "
            f"missing in {fortunes_dir}: {', '.join(os.path.basename(path) for path in missing)} "
            f"(from Debian's `fortunes` and `fortunes-min` packages; reinstall them)")
    return paths


def raw_sentences(fortunes_dir: str = FORTUNES_DIR) -> Iterator[str]:
    """Every sentence of every fortune, in file order, duplicates included.

    Raises ValueError naming the file if one is not UTF-8.
    """
    for path in fortune_files(fortunes_dir):
        with open(path, "rb") as file:
            raw = file.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"fortune file {path} is not UTF-8: {error}") from None
        for fortune in _FORTUNE_SEPARATOR.split(text):
            yield from split_sentences(fortune)


def split_sentences(fortune: str) -> list[str]:
    """One fortune → its sentences: overstriking and attribution removed, whitespace collapsed."""
    lines = _OVERSTRIKE.sub("", fortune).split("\n")
    attribution = next((i for i, line in enumerate(lines) if _ATTRIBUTION.match(line)), len(lines))
    text = " ".join(" ".join(lines[:attribution]).split())
    return [sentence for sentence in _SENTENCE_BOUNDARY.split(text) if sentence]


def read_sentences(min_words: int, max_words: int, fortunes_dir: str = FORTUNES_DIR,
                   ) -> tuple[list[str], collections.Counter]:
    """Transcripts for speech: (distinct sentences normalized by `transcripts.normalize` with
    min_words..max_words words, sorted; counts of what was left out and why)."""
    sentences: set[str] = set()
    dropped: collections.Counter = collections.Counter()
    for sentence in raw_sentences(fortunes_dir):
        normalized, reason = transcripts.normalize(sentence)
        if normalized is not None and not min_words <= len(normalized.split()) <= max_words:
            normalized, reason = None, "length"
        if normalized is None:
            dropped[reason] += 1
        else:
            sentences.add(normalized)
    return sorted(sentences), dropped
