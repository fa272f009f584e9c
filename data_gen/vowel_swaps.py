"""Vowel swaps: espeak-ng English phonemes with some vowels replaced by a neighbouring vowel.

Accents differ most in their vowels: one speaker's "had" is another's "head". Speaking a training
sentence with a few vowels moved to a neighbour is meant to teach a speech model not to trust every
vowel, and to lean on the rest of the word (and a language model) instead (measured on
espeak-ng's unseen accents: docs/benchmarks.md, "Vowel swaps"). For example:

    phonemes = espeak.phonemize(["he had got the bath"], "en-gb")[0]
    # "h|i: h|a|d g|0|t D|@ b|'aa|T"
    swap_vowels(phonemes, rate=0.3, rng=random.Random(0))
    # e.g. "h|I h|E|d g|0|t D|@ b|'aa|T"

Phoneme strings are in espeak-ng's `-x --sep=|` form: words separated by spaces, phonemes within a
word by "|", stress marks (' and ,) in front of a stressed vowel. Only the vowels of `NEIGHBOURS`
are swapped, each to a vowel next to it in the vowel chart (height or backness one step away, or
its long/short partner); reduced vowels (I2, @2, i, 3, a#), r-coloured ones (A@, O@, e@, i@, U@)
and most diphthongs stay as they are. Every vowel here is in the phoneme table of espeak-ng's
English voices (tests/test_vowel_swaps.py reads each back through every train voice).
"""
from __future__ import annotations

import random

# espeak-ng English vowel mnemonic -> the vowels it may become.
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "i:": ("I", "eI"),       # fleece
    "I": ("i:", "E", "@"),   # kit
    "eI": ("E", "i:"),       # face
    "E": ("I", "a", "eI"),   # dress
    "a": ("E", "aa", "V"),   # trap
    "aa": ("a", "A:"),       # bath
    "A:": ("aa", "0", "V"),  # palm
    "0": ("A:", "O:", "V"),  # lot
    "O:": ("0", "oU"),       # thought
    "oU": ("O:", "U"),       # goat
    "V": ("@", "0", "U", "a"),  # strut
    "U": ("u:", "V", "@"),   # foot
    "u:": ("U", "oU"),       # goose
    "@": ("V", "I"),         # comma
    "3:": ("@", "V"),        # nurse
}

STRESS_MARKS = "',"


def swap_vowels(phonemes: str, rate: float, rng: random.Random) -> str:
    """Replaces each vowel of `NEIGHBOURS` in `phonemes` (espeak-ng `-x --sep=|` form), with
    probability `rate`, by one of its neighbours chosen uniformly; stress marks, consonants and
    word boundaries are kept.

    Raises:
      ValueError: if `rate` is not in [0, 1].
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"vowel swap rate {rate} must be between 0 and 1")
    words = []
    for word in phonemes.split(" "):
        swapped = []
        for phoneme in word.split("|"):
            vowel = phoneme.lstrip(STRESS_MARKS)
            if vowel in NEIGHBOURS and rng.random() < rate:
                stress = phoneme[:len(phoneme) - len(vowel)]
                phoneme = stress + rng.choice(NEIGHBOURS[vowel])
            swapped.append(phoneme)
        words.append("|".join(swapped))
    return " ".join(words)
