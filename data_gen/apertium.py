"""An offline English→Spanish parallel corpus: Debian's fortune cookies, translated by Apertium.

    path = build_corpus(tmp_dir)          # <tmp_dir>/fortunes-apertium-eng-spa.tsv, "en<TAB>es"

English side: every fortune file in /usr/share/games/fortunes (Debian package `fortunes`; the
offensive ones, in the `off/` subdirectory, are left out). Each fortune loses its attribution (from
the first line starting with "--", e.g. "-- Mark Twain", to its end) and terminal overstriking
("_\\bX"), its whitespace is collapsed, and it is split into sentences after ".", "!" or "?". A
sentence is kept if it has MIN_WORDS..MAX_WORDS words, starts with a capital letter (perhaps after a
quote or parenthesis), ends with sentence punctuation, and is mostly letters (which drops code and
ASCII art); duplicates are kept once, in file order.

Spanish side: `apertium -u eng-spa` (Debian package `apertium-eng-spa`), one sentence per line, in
batches; Apertium keeps one output line per input line, and every batch is checked for that. The
corpus (~23k sentences, 15-25 s of Apertium on 2 cores) is written atomically to tmp_dir and reused
afterwards; delete it to rebuild (e.g. after changing the fortune files).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

from absl import logging

FORTUNES_DIR = "/usr/share/games/fortunes"
MIN_WORDS = 3
MAX_WORDS = 30
MIN_LETTER_FRACTION = 0.85  # letters and spaces, of all characters
# Sentences per apertium call: the pipeline already keeps both cores busy, so a few large calls.
TRANSLATION_BATCH = 10_000

_FORTUNE_SEPARATOR = re.compile(r"^%$", re.MULTILINE)
_OVERSTRIKE = re.compile(r".\x08")
_ATTRIBUTION = re.compile(r"^\s*--")
# After . ! or ? (maybe closed by a quote or parenthesis), before a capital (maybe quoted).
_SENTENCE_BOUNDARY = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')]))\s+(?=[\"'(]?[A-Z])")
_SENTENCE_START = re.compile(r"[\"'(]?[A-Z]")
_SENTENCE_END = re.compile(r"[.!?][\"')]?$")
# Everything Python's str.splitlines splits on.
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def build_corpus(tmp_dir: str, max_sentences: int = 0, fortunes_dir: str = FORTUNES_DIR) -> str:
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


def fortune_sentences(fortunes_dir: str = FORTUNES_DIR) -> list[str]:
    """The distinct clean English sentences of the fortune files, in file order (see module doc)."""
    paths = _fortune_files(fortunes_dir)
    sentences: dict[str, None] = {}  # an ordered set
    for path in paths:
        with open(path, "rb") as file:
            raw = file.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"fortune file {path} is not UTF-8: {error}") from None
        for fortune in _FORTUNE_SEPARATOR.split(text):
            for sentence in split_sentences(fortune):
                if is_clean_sentence(sentence):
                    sentences[sentence] = None
    logging.info("Found %d distinct English sentences in %d fortune files in %s",
                 len(sentences), len(paths), fortunes_dir)
    return list(sentences)


def split_sentences(fortune: str) -> list[str]:
    """One fortune → its sentences: overstriking and attribution removed, whitespace collapsed."""
    lines = _OVERSTRIKE.sub("", fortune).split("\n")
    attribution = next((i for i, line in enumerate(lines) if _ATTRIBUTION.match(line)), len(lines))
    text = " ".join(" ".join(lines[:attribution]).split())
    return [sentence for sentence in _SENTENCE_BOUNDARY.split(text) if sentence]


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
    """Writes "source<TAB>target" lines to a hidden temporary file, then renames it to `path`."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    descriptor, temp_path = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.incomplete-",
                                             dir=directory)
    try:
        with open(descriptor, "w", encoding="utf-8") as file:
            for source, target in zip(sources, targets, strict=True):
                file.write(f"{source}\t{target}\n")
        os.replace(temp_path, path)
    except BaseException:
        os.remove(temp_path)
        raise


def _fortune_files(fortunes_dir: str) -> list[str]:
    """The fortune text files directly in `fortunes_dir` (no subdirectories such as `off/`, no
    `.dat` indexes or `.u8` links)."""
    paths = []
    if os.path.isdir(fortunes_dir):
        paths = sorted(entry.path for entry in os.scandir(fortunes_dir)
                       if entry.is_file(follow_symlinks=False)
                       and not entry.name.endswith((".dat", ".u8")))
    if not paths:
        raise FileNotFoundError(f"no fortune files in {fortunes_dir}; install the Debian package "
                                f"`fortunes` (sudo apt-get install fortunes)")
    return paths
