"""The text an n-gram LM trains on: the language-model text of a `LanguageModelTextSource` and
files of normalized sentences, one per line, every sentence checked against the LM's alphabet.
t2t-char-lm and t2t-word-lm read their --problem and --text_file through this module.

    sentences = training_sentences(ALPHABET, source=problem, data_dir="/data",
                                   source_name="problem speech_espeak_en", text_file="more.txt")
"""
from __future__ import annotations

import os

from t2t.lm.text_source import LanguageModelTextSource


def training_sentences(alphabet: str, source: LanguageModelTextSource | None = None,
                       source_name: str = "", data_dir: str = "",
                       text_file: str = "") -> list[str]:
    """The distinct sentences of `source`'s language-model text (read from `data_dir`) and of
    `text_file`, in that order; give either or both. `source_name` names the source in errors.

    Raises ValueError for a sentence with characters outside `alphabet` (naming where it is) or
    when there is no text at all, FileNotFoundError if there is no `text_file`.
    """
    sentences, origins = [], []
    if source is not None:
        sentences += [checked(text, alphabet, f"{source_name} language-model sentence {number}")
                      for number, text in enumerate(source.language_model_text(data_dir), 1)]
        origins.append(f"the language-model text of {source_name}")
    if text_file:
        sentences += read_sentences(text_file, alphabet)
        origins.append(text_file)
    if not any(sentences):
        raise ValueError(f"no text to train on in {' and '.join(origins)}")
    # A speech corpus may say one sentence in several voices: count each sentence once.
    return list(dict.fromkeys(sentences))


def read_sentences(path: str, alphabet: str) -> list[str]:
    """The non-blank lines of `path`. Raises ValueError naming the file and line of a character
    outside `alphabet`, FileNotFoundError if there is no such file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"text file {path}: no such file")
    sentences = []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            sentence = line.rstrip("\n")
            checked(sentence, alphabet, f"{path} line {number}")
            if sentence:
                sentences.append(sentence)
    return sentences


def checked(text: str, alphabet: str, where: str) -> str:
    """`text`, or a ValueError naming `where` if it has characters outside `alphabet`."""
    unknown = sorted(set(text) - set(alphabet))
    if unknown:
        raise ValueError(f"{where}: characters {''.join(unknown)!r} are not in the alphabet "
                         f"{alphabet!r} (normalize the text first, e.g. with "
                         f"t2t.speech.transcripts.normalize): {text!r}")
    return text
