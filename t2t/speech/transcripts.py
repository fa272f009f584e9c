"""The character alphabet of the speech problems and how raw text is normalized into it.

Transcripts use 28 symbols: lower-case a–z, the space and the apostrophe (LibriSpeech's alphabet).
`normalize` maps raw text onto them, or rejects it when the words a speaker would say cannot be
read off the text without guessing:

  kept, rewritten:  letters are lower-cased; curly quotes become straight ones (’ ‘ → ', “ ” → ");
                    hyphens and dashes become spaces ("long-forgotten" → "long forgotten");
                    . , ; : ! ? " ( ) and single quotes at the edges of words are removed
                    ("'Tis" → "tis", "don't" stays); runs of whitespace become one space.
  rejected:         text with digits (espeak says "1984" as words we would have to guess);
                    text with symbols that are spoken or unpronounceable (& % $ @ # + = * / \\ < >
                    | ~ ^ _ [ ] { } `); text with any other non-ASCII or control character;
                    text with no letters.

Rejections come back as a reason ("digits", "symbols", "non-ascii", "empty") so that callers can
count them.

Character ids: after the reserved ids (`t2t.ids`), ALPHABET[i] is id FIRST_CHARACTER_ID + i, so a
speech vocabulary has VOCAB_SIZE ids; a CTC model's blank is PAD_ID (BLANK_ID).
"""
from __future__ import annotations

import re
import string
from collections.abc import Iterable

from t2t.ids import NUM_RESERVED_IDS, PAD_ID

ALPHABET = " '" + string.ascii_lowercase  # 28 symbols
FIRST_CHARACTER_ID = NUM_RESERVED_IDS
VOCAB_SIZE = FIRST_CHARACTER_ID + len(ALPHABET)
BLANK_ID = PAD_ID
REASONS = ("digits", "symbols", "non-ascii", "empty")

_CURLY_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_SPOKEN_SYMBOLS = set("&%$@#+=*/\\<>|~^_[]{}`")
_SILENT_PUNCTUATION = re.compile(r"[.,;:!?\"()]")
_DASHES = re.compile(r"[-\u2013\u2014]+")
_EDGE_APOSTROPHES = re.compile(r"(?<![a-z])'+|'+(?![a-z])")


def normalize(text: str) -> tuple[str | None, str]:
    """Raw text → (normalized transcript, "") or (None, reason it was rejected)."""
    text = _DASHES.sub(" ", text.translate(_CURLY_QUOTES))
    if any(char.isdigit() for char in text):
        return None, "digits"
    if any(char in _SPOKEN_SYMBOLS for char in text):
        return None, "symbols"
    if any(not (char.isascii() and (char.isprintable() or char.isspace())) for char in text):
        return None, "non-ascii"
    text = _SILENT_PUNCTUATION.sub(" ", text.lower())
    text = " ".join(_EDGE_APOSTROPHES.sub(" ", text).split())
    if not any(char.isalpha() for char in text):
        return None, "empty"
    return text, ""


def distinct_normalized(texts: Iterable[str]) -> list[str]:
    """The normalized forms of the `texts` that `normalize` keeps, each once, in first-seen
    order."""
    normalized = (normalize(text)[0] for text in texts)
    return list(dict.fromkeys(text for text in normalized if text is not None))
