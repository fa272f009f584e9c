"""CTC search strategies and the decode params of CTC models.

A CTC model's logits are per frame; a strategy turns them into characters:

    search = ctc_search_for(params, vocab_size)     # from --decode_hparams, LMs loaded once
    ids, scores = search(logits, lengths)           # ragged int32 [batch, (labels)], [batch]

    CtcGreedySearch     best class per frame, repeats merged, blanks dropped
    CtcBeamSearch       `tf.nn.ctc_beam_search_decoder` (beam_size > 1)
    CtcLmBeamSearch     prefix beam search fused with a character n-gram LM, optionally scoring
                        finished words with a word LM (itself optionally interpolated with a backoff
                        LM); `t2t.speech.prefix_search`, run on the host through tf.numpy_function

Logits must never favour EOS (no CTC label; `CtcModel.decoding_logits` sets it to -1e9). Scores:
the log-probability of the best frame path (greedy), of the beam's best transcript (beam), or the
fused score log p_ctc + lm_weight · log p_lm + lm_bonus · characters (LM).
"""
from __future__ import annotations

import abc
import dataclasses
import functools

import numpy as np
import tensorflow as tf

from t2t.decode.params import DecodeParams
from t2t.lm.backoff_lm import BackoffLM
from t2t.lm.char_lm import CharNgramLM
from t2t.lm.mixture import InterpolatedWordLM
from t2t.lm.word_lm import WordNgramLM
from t2t.speech.prefix_search import WordLM, ctc_prefix_beam_search
from t2t.speech.transcripts import BLANK_ID, FIRST_CHARACTER_ID


@dataclasses.dataclass(frozen=True)
class CtcDecodeParams(DecodeParams):
    """DecodeParams plus what only CTC models read (`--decode_hparams="beam_size=64,lm_path=..."`).

    Attributes:
      lm_path: a character LM written by t2t-char-lm, fused into CTC beam search (beam_size > 1;
        no commas, as decode_hparams are split on them).
      word_lm_path: a word LM written by t2t-word-lm (needs lm_path): finished words are then
        scored by it, spelled by the character LM (see `t2t.speech.prefix_search`).
      backoff_lm_path: a closed-vocabulary backoff word LM (ARPA text or a CMU Sphinx trie binary,
        `t2t.lm.backoff_lm`; needs word_lm_path), interpolated with the word LM (`t2t.lm.mixture`).
      backoff_lm_weight: λ, that backoff LM's share of the word probability, in (0, 1).
      lm_weight: α, the weight of the LM's log-probability in the fused score.
      lm_bonus: β, added to the fused score per decoded character (offsets the LM's preference
        for short transcripts).
      adapt_steps: if > 0, each utterance is decoded alone after this many steps of test-time
        adaptation to it (`t2t.speech.adaptation`).
      adapt_learning_rate: the Adam step size of that adaptation.
    """
    lm_path: str = ""
    word_lm_path: str = ""
    backoff_lm_path: str = ""
    backoff_lm_weight: float = 0.0
    lm_weight: float = 0.0
    lm_bonus: float = 0.0
    adapt_steps: int = 0
    adapt_learning_rate: float = 0.0

    def validation_errors(self) -> list[str]:
        errors = super().validation_errors()
        errors += [f"{name}={getattr(self, name)} must be >= 0"
                   for name in ("lm_weight", "adapt_steps", "adapt_learning_rate")
                   if getattr(self, name) < 0]
        if not self.lm_path:
            errors += [f"{name}={getattr(self, name)} needs lm_path"
                       for name in ("word_lm_path", "lm_weight", "lm_bonus") if getattr(self, name)]
        elif self.beam_size == 1:
            errors.append("lm_path needs beam search (beam_size > 1)")
        if self.backoff_lm_path and not self.word_lm_path:
            errors.append("backoff_lm_path needs word_lm_path (it is interpolated with it)")
        if self.backoff_lm_path and not 0 < self.backoff_lm_weight < 1:
            errors.append(f"backoff_lm_weight={self.backoff_lm_weight} must be between 0 and 1 "
                          f"(exclusive) with backoff_lm_path")
        if self.backoff_lm_weight and not self.backoff_lm_path:
            errors.append(f"backoff_lm_weight={self.backoff_lm_weight} needs backoff_lm_path")
        if self.adapt_steps and not self.adapt_learning_rate:
            errors.append(f"adapt_steps={self.adapt_steps} needs adapt_learning_rate > 0")
        return errors


class CtcSearch(abc.ABC):
    """A way to read characters off per-frame CTC logits."""

    @abc.abstractmethod
    def __call__(self, logits: tf.Tensor, lengths: tf.Tensor) -> tuple[tf.RaggedTensor, tf.Tensor]:
        """logits float32 [batch, frames, vocab], lengths int32 [batch] of the valid frames →
        (class ids ragged int32 [batch, (labels)], scores float32 [batch])."""


class CtcGreedySearch(CtcSearch):
    """Best class per frame, repeats merged, blanks dropped; scores the best path."""

    def __call__(self, logits: tf.Tensor, lengths: tf.Tensor) -> tuple[tf.RaggedTensor, tf.Tensor]:
        log_probs = tf.nn.log_softmax(logits)
        best = tf.argmax(logits, axis=-1, output_type=tf.int32)             # [batch, frames]
        valid = tf.sequence_mask(lengths, tf.shape(best)[1])
        previous = tf.pad(best[:, :-1], [[0, 0], [1, 0]], constant_values=BLANK_ID)
        keep = valid & tf.not_equal(best, BLANK_ID) & tf.not_equal(best, previous)
        scores = tf.reduce_sum(tf.where(valid, tf.reduce_max(log_probs, axis=-1), 0.0), axis=1)
        return tf.ragged.boolean_mask(best, keep), scores


@dataclasses.dataclass(frozen=True)
class CtcBeamSearch(CtcSearch):
    """`tf.nn.ctc_beam_search_decoder`, which wants the blank last: class 0 is moved to the end
    and decoded ids are shifted back."""
    beam_size: int

    def __call__(self, logits: tf.Tensor, lengths: tf.Tensor) -> tuple[tf.RaggedTensor, tf.Tensor]:
        blank_last = tf.concat([logits[..., BLANK_ID + 1:], logits[..., :BLANK_ID + 1]], axis=-1)
        decoded, log_probs = tf.nn.ctc_beam_search_decoder(
            tf.transpose(tf.nn.log_softmax(blank_last), [1, 0, 2]), lengths,
            beam_width=self.beam_size, top_paths=1)
        best = decoded[0]
        ids = tf.RaggedTensor.from_value_rowids(
            tf.cast(best.values, tf.int32) + BLANK_ID + 1, best.indices[:, 0],
            nrows=tf.shape(logits, out_type=tf.int64)[0])
        return ids, log_probs[:, 0]


class CtcLmBeamSearch(CtcSearch):
    """`ctc_prefix_beam_search` with a character LM (and optionally a word LM), per utterance on
    the host; scores are the fused scores."""

    def __init__(self, beam_size: int, lm: CharNgramLM, word_lm: WordLM | None,
                 lm_weight: float, lm_bonus: float):
        self.beam_size, self.lm, self.word_lm = beam_size, lm, word_lm
        self.lm_weight, self.lm_bonus = lm_weight, lm_bonus

    def __call__(self, logits: tf.Tensor, lengths: tf.Tensor) -> tuple[tf.RaggedTensor, tf.Tensor]:
        id_to_char = lm_characters(self.lm)

        def search(log_probs: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, ...]:
            best = [ctc_prefix_beam_search(utterance[:length], BLANK_ID, id_to_char, self.lm,
                                           self.lm_weight, self.lm_bonus, self.beam_size,
                                           word_lm=self.word_lm)
                    for utterance, length in zip(log_probs, lengths)]
            ids = np.zeros([len(best), max((len(h.ids) for h in best), default=0)], np.int32)
            for row, hypothesis in enumerate(best):
                ids[row, :len(hypothesis.ids)] = hypothesis.ids
            return (ids, np.array([len(h.ids) for h in best], np.int32),
                    np.array([h.score for h in best], np.float32))

        ids, counts, scores = tf.numpy_function(search, [tf.nn.log_softmax(logits), lengths],
                                                [tf.int32, tf.int32, tf.float32], stateful=False)
        ids.set_shape([None, None])
        counts.set_shape([None])
        scores.set_shape([None])
        return tf.RaggedTensor.from_tensor(ids, lengths=counts), scores


def lm_characters(lm: CharNgramLM) -> dict[int, str]:
    """Class id → LM character: the LM's alphabet[i] is class FIRST_CHARACTER_ID + i."""
    return {FIRST_CHARACTER_ID + i: char for i, char in enumerate(lm.alphabet)}


# Plain Python at trace time: AutoGraph would convert the LMs' loading loops and slow them down.
@tf.autograph.experimental.do_not_convert
def ctc_search_for(params: CtcDecodeParams, vocab_size: int) -> CtcSearch:
    """The strategy `params` asks for, for a model with `vocab_size` classes: LM-fused beam search
    with lm_path, else beam search with beam_size > 1, else greedy search. LM files are read once
    per process and path."""
    if params.lm_path:
        lm = _load(CharNgramLM, params.lm_path)
        characters = vocab_size - FIRST_CHARACTER_ID
        if len(lm.alphabet) != characters:
            raise ValueError(f"character LM {params.lm_path}: its alphabet {lm.alphabet!r} has "
                             f"{len(lm.alphabet)} characters, but the model has {characters} (ids "
                             f"{FIRST_CHARACTER_ID}..{FIRST_CHARACTER_ID + characters - 1}); train "
                             f"the LM on this problem's transcripts")
        return CtcLmBeamSearch(params.beam_size, lm, _word_lm(params), params.lm_weight,
                               params.lm_bonus)
    if params.beam_size > 1:
        return CtcBeamSearch(params.beam_size)
    return CtcGreedySearch()


def _word_lm(params: CtcDecodeParams) -> WordLM | None:
    """The word LM of `params` (None without word_lm_path), interpolated with its backoff LM."""
    if not params.word_lm_path:
        return None
    word_lm = _load(WordNgramLM, params.word_lm_path)
    if not params.backoff_lm_path:
        return word_lm
    return InterpolatedWordLM(word_lm, _load(BackoffLM, params.backoff_lm_path),
                              params.backoff_lm_weight)


@functools.cache
def _load(lm_class: type[CharNgramLM | WordNgramLM | BackoffLM],
          path: str) -> CharNgramLM | WordNgramLM | BackoffLM:
    return lm_class.load(path)
