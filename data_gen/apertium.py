"""An offline English→Spanish parallel corpus: Debian's fortune cookies, translated by Apertium.

    path = build_corpus(tmp_dir)          # <tmp_dir>/fortunes-apertium-eng-spa.tsv, "en<TAB>es"

English side: the sentences of Debian's fortune files (`t2t.data_gen.fortunes`). A sentence is
kept if it has MIN_WORDS..MAX_WORDS words, starts with a capital letter (perhaps after a
quote or parenthesis), ends with sentence punctuation, and is mostly letters (which drops code and
ASCII art); duplicates are kept once, in file order.

Spanish side: `apertium -u eng-spa` (Debian package `apertium-eng-spa`), one sentence per line, in
batches; Apertium keeps one output line per input line, and every batch is checked for that. The
corpus (size and build time: docs/benchmarks.md, "Facts moved from docstrings") is written
atomically to tmp_dir and reused afterwards; delete it to rebuild (e.g. after changing the fortune
files).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

from absl import logging

from t2t.data import atomic_files
from t2t.data_gen import fortunes

MIN_WORDS = 3
MAX_WORDS = 30
MIN_LETTER_FRACTION = 0.85  # letters and spaces, of all characters
# Sentences per apertium call: the pipeline already keeps both cores busy, so a few large calls.
TRANSLATION_BATCH = 10_000

_SENTENCE_START = re.compile(r"[\"'(]?[A-Z]")
_SENTENCE_END = re.compile(r"[.!?][\"')]?$")
# Everything Python's str.splitlines splits on.
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def build_corpus(tmp_dir: str, max_sentences: int = 0,
                 fortunes_dir: str = fortunes.FORTUNES_DIR) -> str:
    """Returns the path of the "english<TAB>spanish" corpus in `tmp_dir`, building it if absent.

    Args:
      tmp_dir: where the corpus file is cached.
      max_sentences: keep only the first N English sentences (0 = all); for quick tests. Each N
        has its own cache file.
      fortunes_dir: directory of the fortune files.

    Raises:
      FileNotFoundError: no fortune files, or no `apertium` program (names the Debian package).
      RuntimeError: Apertium failed or lost the line alignment.
    """
    suffix = f"-first{max_sentences}" if max_sentences else ""
    path = os.path.join(tmp_dir, f"fortunes-apertium-eng-spa{suffix}.tsv")
    if os.path.isfile(path):
        return path
    english = fortune_sentences(fortunes_dir)
    if max_sentences:
        english = english[:max_sentences]
    spanish = translate(english)
    _write_tsv_atomically(path, english, spanish)
    logging.info("Wrote %d English-Spanish sentence pairs to %s", len(english), path)
    return path


def fortune_sentences(fortunes_dir: str = fortunes.FORTUNES_DIR) -> list[str]:
    """The distinct clean English sentences of the fortune files, in file order (see module doc)."""
    sentences: dict[str, None] = {}  # an ordered set
    for sentence in fortunes.raw_sentences(fortunes_dir):
        if is_clean_sentence(sentence):
            sentences[sentence] = None
    logging.info("Found %d distinct English sentences in the fortune files in %s",
                 len(sentences), fortunes_dir)
    return list(sentences)


def is_clean_sentence(sentence: str) -> bool:
    """True for a sentence worth translating (length, capital start, final punctuation, letters)."""
    letters = sum(character.isalpha() or character == " " for character in sentence)
    return (MIN_WORDS <= len(sentence.split()) <= MAX_WORDS
            and _SENTENCE_START.match(sentence) is not None
            and _SENTENCE_END.search(sentence) is not None
            and letters >= MIN_LETTER_FRACTION * len(sentence))


def translate(sentences: list[str], pair: str = "eng-spa") -> list[str]:
    """Translates single-line sentences with `apertium -u <pair>`; output i translates input i,
    whitespace collapsed.

    Raises:
      ValueError: a sentence contains a line break (it would shift the alignment).
      FileNotFoundError: `apertium` is not installed (names the Debian packages).
      RuntimeError: Apertium exited with an error or returned another number of lines.
    """
    if shutil.which("apertium") is None:
        raise FileNotFoundError("the `apertium` program is not installed; install the Debian "
                                "packages `apertium` and `apertium-eng-spa` "
                                "(sudo apt-get install apertium-eng-spa)")
    multiline = [sentence for sentence in sentences if _LINE_BREAK.search(sentence)]
    if multiline:
        raise ValueError(f"cannot translate sentences with line breaks, e.g. {multiline[0]!r}")
    translations = []
    for start in range(0, len(sentences), TRANSLATION_BATCH):
        batch = sentences[start:start + TRANSLATION_BATCH]
        translations += _translate_batch(batch, pair)
        logging.info("Apertium %s: translated %d of %d sentences", pair, len(translations),
                     len(sentences))
    return translations


def _translate_batch(batch: list[str], pair: str) -> list[str]:
    result = subprocess.run(["apertium", "-u", pair], input="".join(f"{s}\n" for s in batch),
                            capture_output=True, text=True, encoding="utf-8", check=False)
    if result.returncode != 0:
        raise RuntimeError(f"`apertium -u {pair}` failed (exit {result.returncode}): "
                           f"{result.stderr.strip()}; is the Debian package "
                           f"`apertium-{pair}` installed?")
    lines = result.stdout.removesuffix("\n").split("\n")
    if len(lines) != len(batch):
        raise RuntimeError(f"`apertium -u {pair}` returned {len(lines)} lines for {len(batch)} "
                           f"input sentences; the sentence alignment is lost")
    return [" ".join(line.split()) for line in lines]


def _write_tsv_atomically(path: str, sources: list[str], targets: list[str]) -> None:
    """Writes "source<TAB>target" lines to `path`, atomically."""
    atomic_files.write_text(path, "".join(f"{source}\t{target}\n"
                                          for source, target in zip(sources, targets, strict=True)))
