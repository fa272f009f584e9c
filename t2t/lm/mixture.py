"""A linear interpolation of the open-vocabulary word LM (`t2t.lm.word_lm`, trained on the problem's
text) with a closed-vocabulary backoff LM (`t2t.lm.backoff_lm`, e.g. a large general-English model),
used by CTC decoding wherever a `WordNgramLM` is:

    p(w | h) = (1 − λ) · p_open(w | h) + λ · p_backoff(w | h)

with p_backoff(w | h) = 0 for a word outside the backoff LM's vocabulary, which only the open LM
(through its spelling model) can give a probability. Each sums to 1 over words + END for any h, so
the mixture does too. The open LM keeps the problem's own n-grams; the backoff LM brings the
contexts a few tens of thousands of sentences never show.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from t2t.lm.backoff_lm import BackoffLM
from t2t.lm.log_space import log_add
from t2t.lm.word_lm import WordNgramLM


class InterpolatedWordLM:
    """(1 − weight) · open_lm + weight · backoff_lm, with `WordNgramLM`'s interface (`order`,
    `log_prob(history, word, spelling_log_prob)`)."""

    def __init__(self, open_lm: WordNgramLM, backoff_lm: BackoffLM, weight: float):
        if not 0.0 < weight < 1.0:
            raise ValueError(f"InterpolatedWordLM: the backoff LM's weight {weight} must be "
                             f"between 0 and 1 (exclusive)")
        self.open_lm, self.backoff_lm = open_lm, backoff_lm
        self.order = max(open_lm.order, backoff_lm.order)
        self._log_open_share, self._log_backoff_share = math.log1p(-weight), math.log(weight)

    def log_prob(self, history: Sequence[str], word: str,
                 spelling_log_prob: float = -math.inf) -> float:
        """Natural log of the mixture's p(word | history); `spelling_log_prob` as in
        `WordNgramLM.log_prob`."""
        open_part = self._log_open_share + self.open_lm.log_prob(history, word,
                                                                 spelling_log_prob)
        backoff_log_prob = self.backoff_lm.log_prob(history, word)
        if backoff_log_prob is None:
            return open_part
        return log_add(open_part, self._log_backoff_share + backoff_log_prob)
