"""The capability of offering text that a language model may learn from.

A problem that has it (the speech problems do) inherits `LanguageModelTextSource`; `t2t-char-lm`
and `t2t-word-lm --problem=NAME` train on its `language_model_text` and refuse a problem without
it.
"""
from __future__ import annotations

import abc
from collections.abc import Iterator


class LanguageModelTextSource(abc.ABC):
    """Has normalized sentences for language models, never a sentence decoding is scored on."""

    @abc.abstractmethod
    def language_model_text(self, data_dir: str) -> Iterator[str]:
        """The sentences, one string each (e.g. from the train shards in `data_dir`)."""
