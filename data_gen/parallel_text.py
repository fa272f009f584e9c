"""Reading parallel corpora: (source, target) sentence pairs from local files, checked and cleaned.

Two layouts are read:

    read_aligned_files("train.en", "train.es")   line i of one file translates line i of the other
    read_tsv("train.tsv")                        one "source<TAB>target" pair per line

Both stream the files (one pair in memory at a time) and stop with a specific error on bad input:
a missing file → FileNotFoundError naming it; aligned files with different line counts →
ValueError naming both files and counts (checked before any pair is yielded); bytes that are not
UTF-8 → ValueError naming the file and line number; a TSV line without exactly one tab →
ValueError naming the file and line. A UTF-8 byte-order mark at the start of a file is dropped.

`clean_pairs` then strips surrounding whitespace and skips pairs with an empty side or a side longer
than `max_chars`. Skipped pairs are counted, never dropped silently: the counts are logged (as a
warning when anything was skipped) once the pairs are exhausted.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from absl import logging

Pair = tuple[str, str]


def read_aligned_files(source_path: str, target_path: str) -> Iterator[Pair]:
    """Yields (line i of source_path, line i of target_path), without line ends.

    Raises:
      FileNotFoundError: naming a missing file.
      ValueError: if the files have different numbers of lines (before yielding anything), or
        a line is not UTF-8 (naming file and 1-based line number).
    """
    source_lines, target_lines = count_lines(source_path), count_lines(target_path)
    if source_lines != target_lines:
        raise ValueError(
            f"parallel files are misaligned: {source_path} has {source_lines} lines but "
            f"{target_path} has {target_lines}; line i of one must translate line i of the other")
    yield from zip(_read_lines(source_path), _read_lines(target_path), strict=True)


def read_tsv(path: str) -> Iterator[Pair]:
    """Yields (source, target) from lines "source<TAB>target"; a blank line yields ("", "").

    Raises:
      FileNotFoundError: naming a missing file.
      ValueError: naming the file and line of a line that is not UTF-8 or whose number of tabs
        is not exactly one.
    """
    for line_number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            yield "", ""
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise ValueError(f"{path}, line {line_number}: expected 2 tab-separated fields "
                             f"(source<TAB>target), found {len(fields)}")
        yield fields[0], fields[1]


def clean_pairs(pairs: Iterable[Pair], max_chars: int, origin: str) -> Iterator[Pair]:
    """Strips whitespace around both sides; skips and counts empty or overlong pairs.

    Args:
      pairs: (source, target) texts.
      max_chars: longest side kept, in characters (Unicode code points) after stripping.
      origin: names the corpus in the log line, e.g. "train.tsv" or "wmt14 train".

    Yields:
      The kept pairs, stripped, in order. When `pairs` is exhausted, logs how many were read,
      kept, skipped as empty and skipped as longer than `max_chars`.
    """
    read = empty = too_long = 0
    for source, target in pairs:
        read += 1
        source, target = source.strip(), target.strip()
        if not source or not target:
            empty += 1
        elif len(source) > max_chars or len(target) > max_chars:
            too_long += 1
        else:
            yield source, target
    log = logging.warning if empty or too_long else logging.info
    log("%s: read %d sentence pairs, kept %d; skipped %d with an empty side and %d with a side "
        "longer than %d characters", origin, read, read - empty - too_long, empty, too_long,
        max_chars)


def count_lines(path: str) -> int:
    """Number of lines in `path` (a last line without a newline counts). Raises
    FileNotFoundError naming a missing file."""
    _check_exists(path)
    with open(path, "rb") as file:
        return sum(1 for _ in file)


def _read_lines(path: str) -> Iterator[str]:
    """Streams the lines of a UTF-8 file without their "\\n" or "\\r\\n"."""
    _check_exists(path)
    with open(path, "rb") as file:
        for line_number, raw in enumerate(file, start=1):
            try:
                line = raw.decode("utf-8-sig" if line_number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{path}, line {line_number}: not valid UTF-8 (byte "
                    f"0x{raw[error.start]:02x} at byte offset {error.start} of the line); "
                    f"convert the file to UTF-8, e.g. with iconv") from None
            yield line.rstrip("\n").removesuffix("\r")


def _check_exists(path: str) -> None:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"parallel text file not found: {path}")
