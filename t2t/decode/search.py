"""Model-agnostic autoregressive search strategies: greedy, sampling and beam search.

A model exposes one decoding step as

    symbols_to_logits_fn(ids, step, cache) -> (logits, new_cache)

where `ids` int32 [batch] are the symbols decoded at the previous step (the start symbol 0 at step
0, as shifted targets start with 0 in training), `step` is an int32 scalar (the position being
decoded) and `cache` is any nest of tensors whose leading dimension is the batch (e.g. per-layer
key/value caches). Logits are [batch, vocab]. The searches run a `tf.while_loop` with fixed shapes,
so they work inside `tf.function`, with or without `jit_compile`.

Outputs are int32 [batch, max_length]: the decoded ids up to and including EOS, then 0 (padding).
Lengths for the length penalty count the EOS.

Each strategy is an object holding its own parameters; `search_for(params)` picks the one that
`DecodeParams` asks for, and `decode` runs it:

    ids, scores = BeamSearch(beam_size=4, alpha=0.6)(symbols_to_logits_fn, batch, 60, cache)
    outputs = decode(symbols_to_logits_fn, batch, 60, cache, DecodeParams(beam_size=4))
"""
from __future__ import annotations

import abc
import dataclasses
from typing import Any, Callable

import tensorflow as tf

from t2t.decode.params import DecodeParams
from t2t.ids import EOS_ID, PAD_ID
from t2t.layers.shapes import dim

# A nest of tensors whose leading dimension is the batch (batch * beam inside beam search).
Cache = Any
SymbolsToLogitsFn = Callable[[tf.Tensor, tf.Tensor, Cache], tuple[tf.Tensor, Cache]]

_NEG_INF = float("-inf")


class Search(abc.ABC):
    """A way to pick output symbols from a decoding step, one position at a time."""

    @abc.abstractmethod
    def __call__(self, symbols_to_logits_fn: SymbolsToLogitsFn, batch_size: int | tf.Tensor,
                 max_length: int | tf.Tensor, cache: Cache) -> tuple[tf.Tensor, tf.Tensor]:
        """Returns ids int32 [batch, max_length] (up to and including EOS, then 0) and a score
        float32 [batch] per example."""


@dataclasses.dataclass(frozen=True)
class GreedySearch(Search):
    """Picks the most likely symbol at each step; the score is the log-probability."""
    eos_id: int = EOS_ID

    def __call__(self, symbols_to_logits_fn: SymbolsToLogitsFn, batch_size: int | tf.Tensor,
                 max_length: int | tf.Tensor, cache: Cache) -> tuple[tf.Tensor, tf.Tensor]:
        def most_likely(logits: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
            del step
            return tf.argmax(logits, axis=-1, output_type=tf.int32)

        return _decode_single_path(symbols_to_logits_fn, batch_size, max_length, cache,
                                   self.eos_id, most_likely)


@dataclasses.dataclass(frozen=True)
class SamplingSearch(Search):
    """Samples each symbol from softmax(logits / temperature), among the top_k if top_k > 0.

    Stateless: the same seed gives the same samples. The score is the log-probability of the
    sample under the model (temperature 1).
    """
    temperature: float = 1.0
    top_k: int = 0
    seed: int = 0
    eos_id: int = EOS_ID

    def __post_init__(self):
        if self.temperature <= 0:
            raise ValueError(f"SamplingSearch: temperature must be > 0, got {self.temperature}")

    def __call__(self, symbols_to_logits_fn: SymbolsToLogitsFn, batch_size: int | tf.Tensor,
                 max_length: int | tf.Tensor, cache: Cache) -> tuple[tf.Tensor, tf.Tensor]:
        base_seed = tf.constant([self.seed, 0], tf.int64)

        def draw(logits: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
            if self.top_k > 0:
                kth_largest = tf.math.top_k(logits, k=self.top_k).values[:, -1:]
                logits = tf.where(logits < kth_largest, _NEG_INF, logits)
            step_seed = tf.random.experimental.stateless_fold_in(base_seed, step)
            drawn = tf.random.stateless_categorical(logits / self.temperature, 1, step_seed,
                                                    dtype=tf.int32)
            return drawn[:, 0]

        return _decode_single_path(symbols_to_logits_fn, batch_size, max_length, cache,
                                   self.eos_id, draw)


@dataclasses.dataclass(frozen=True)
class BeamSearch(Search):
    """Beam search keeping `beam_size` alive and `beam_size` finished hypotheses per example.

    A hypothesis of log-probability logp and length n (EOS included) scores
    logp / length_penalty(n). Each step extends every alive beam by every symbol and keeps the
    2 * beam_size most likely extensions: those ending in EOS compete for the finished set, the
    others refill the alive set (whose caches are reordered to follow their parent beams). The search stops at max_length or
    when no alive beam can still beat the best finished one.

    The cache, a nest of [batch, ...] tensors, is repeated to [batch * beam_size, ...] (beams of one
    example are adjacent), which is the batch symbols_to_logits_fn sees. Returns the ids of the best
    hypothesis per example (the best alive one when none finished) and its score.
    """
    beam_size: int = 4
    alpha: float = 0.6
    eos_id: int = EOS_ID

    def __call__(self, symbols_to_logits_fn: SymbolsToLogitsFn, batch_size: int | tf.Tensor,
                 max_length: int | tf.Tensor, cache: Cache) -> tuple[tf.Tensor, tf.Tensor]:
        def body(step, alive_seq, alive_log_probs, finished_seq, finished_scores, finished_flags,
                 cache):
            # Sequences carry the start symbol at position 0; position step + 1 is decoded now.
            last_ids = tf.reshape(tf.gather(alive_seq, step, axis=2), [-1])
            logits, cache = symbols_to_logits_fn(last_ids, step, cache)
            log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32))
            vocab_size = dim(log_probs, -1)
            log_probs = tf.reshape(log_probs, [-1, self.beam_size, vocab_size])
            candidates = tf.reshape(alive_log_probs[:, :, None] + log_probs,
                                    [-1, self.beam_size * vocab_size])
            top_log_probs, top_indices = tf.math.top_k(candidates, k=2 * self.beam_size)
            top_parents = top_indices // vocab_size
            top_ids = top_indices % vocab_size
            top_seq = _write_at(tf.gather(alive_seq, top_parents, batch_dims=1), top_ids, step + 1)
            top_ended = tf.equal(top_ids, self.eos_id)

            # The alive set: the best extensions that did not end, with their parents' caches.
            alive_log_probs, keep = tf.math.top_k(tf.where(top_ended, _NEG_INF, top_log_probs),
                                                  k=self.beam_size)
            alive_seq = tf.gather(top_seq, keep, batch_dims=1)
            parents = tf.gather(top_parents, keep, batch_dims=1)
            cache = tf.nest.map_structure(lambda t: _gather_beams(t, parents, self.beam_size),
                                          cache)

            # The finished set: the best of the old finished hypotheses and those ending now.
            ended_scores = top_log_probs / length_penalty(step + 1, self.alpha)
            scores = tf.concat([finished_scores, tf.where(top_ended, ended_scores, _NEG_INF)], 1)
            finished_scores, keep = tf.math.top_k(scores, k=self.beam_size)
            finished_seq = tf.gather(tf.concat([finished_seq, top_seq], 1), keep, batch_dims=1)
            finished_flags = tf.gather(tf.concat([finished_flags, top_ended], 1), keep,
                                       batch_dims=1)
            return (step + 1, alive_seq, alive_log_probs, finished_seq, finished_scores,
                    finished_flags, cache)

        def may_improve(step, alive_seq, alive_log_probs, finished_seq, finished_scores,
                        finished_flags, cache):
            # Log-probabilities only fall as sequences grow and the penalty is largest at
            # max_length, so no descendant of the best alive beam can score above this bound.
            best_alive_bound = alive_log_probs[:, 0] / length_penalty(max_length, self.alpha)
            can_improve = tf.reduce_any(best_alive_bound > finished_scores[:, 0])
            return tf.logical_and(step < max_length, can_improve)

        beams = self.beam_size
        sequences = tf.zeros([batch_size, beams, max_length + 1], tf.int32)  # 0: start symbol
        first_beam_only = tf.constant([[0.0] + [_NEG_INF] * (beams - 1)])
        start = (tf.constant(0), sequences, tf.tile(first_beam_only, [batch_size, 1]), sequences,
                 tf.fill([batch_size, beams], _NEG_INF), tf.zeros([batch_size, beams], tf.bool),
                 tf.nest.map_structure(lambda t: tf.repeat(t, beams, axis=0), cache))
        _, alive_seq, alive_log_probs, finished_seq, finished_scores, finished_flags, _ = (
            tf.while_loop(may_improve, body, start))

        any_finished = tf.reduce_any(finished_flags, axis=1)
        ids = tf.where(any_finished[:, None], finished_seq[:, 0, 1:], alive_seq[:, 0, 1:])
        alive_scores = alive_log_probs[:, 0] / length_penalty(max_length, self.alpha)
        scores = tf.where(any_finished, finished_scores[:, 0], alive_scores)
        return ids, scores


def search_for(params: DecodeParams, eos_id: int = EOS_ID) -> Search:
    """The strategy `params` asks for: beam search if beam_size > 1, else sampling if
    temperature > 0, else greedy search."""
    if params.beam_size > 1:
        return BeamSearch(params.beam_size, params.alpha, eos_id)
    if params.temperature > 0:
        return SamplingSearch(params.temperature, params.top_k, params.seed, eos_id)
    return GreedySearch(eos_id)


def decode(symbols_to_logits_fn: SymbolsToLogitsFn, batch_size: int | tf.Tensor,
           max_length: int | tf.Tensor, cache: Cache, params: DecodeParams,
           eos_id: int = EOS_ID) -> dict[str, tf.Tensor]:
    """Runs the search `params` asks for.

    Returns {"outputs": int32 [batch, max_length], "scores": float32 [batch]}: log-probabilities for
    greedy decoding and sampling, length-penalized log-probabilities for beam search.
    """
    ids, scores = search_for(params, eos_id)(symbols_to_logits_fn, batch_size, max_length, cache)
    return {"outputs": ids, "scores": scores}


def length_penalty(length: int | tf.Tensor, alpha: float) -> tf.Tensor:
    """GNMT length penalty ((5 + length) / 6) ** alpha (Wu et al. 2016), float32."""
    return tf.pow((5.0 + tf.cast(length, tf.float32)) / 6.0, alpha)


def _decode_single_path(symbols_to_logits_fn: SymbolsToLogitsFn, batch_size: int | tf.Tensor,
                        max_length: int | tf.Tensor, cache: Cache, eos_id: int,
                        choose: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
                        ) -> tuple[tf.Tensor, tf.Tensor]:
    """The loop shared by greedy search and sampling; `choose(logits, step)` picks ids [batch]."""

    def body(step, last_ids, outputs, finished, scores, cache):
        logits, cache = symbols_to_logits_fn(last_ids, step, cache)
        logits = tf.cast(logits, tf.float32)
        ids = tf.where(finished, PAD_ID, choose(logits, step))
        log_probs = tf.gather(tf.nn.log_softmax(logits), ids, batch_dims=1)
        scores += tf.where(finished, 0.0, log_probs)
        outputs = _write_at(outputs, ids, step)
        return step + 1, ids, outputs, finished | tf.equal(ids, eos_id), scores, cache

    def not_done(step, last_ids, outputs, finished, scores, cache):
        return tf.logical_and(step < max_length, tf.logical_not(tf.reduce_all(finished)))

    start_ids = tf.fill([batch_size], PAD_ID)  # the start symbol, as in shifted targets
    start = (tf.constant(0), start_ids, tf.zeros([batch_size, max_length], tf.int32),
             tf.zeros([batch_size], tf.bool), tf.zeros([batch_size], tf.float32), cache)
    _, _, outputs, _, scores, _ = tf.while_loop(not_done, body, start)
    return outputs, scores


def _gather_beams(tensor: tf.Tensor, beams: tf.Tensor, beam_size: int) -> tf.Tensor:
    """tensor [batch * beam_size, ...], beams int32 [batch, beam_size] -> for each example, the
    rows of the chosen beams: [batch * beam_size, ...]."""
    per_example = tf.reshape(tensor, tf.concat([[-1, beam_size], tf.shape(tensor)[1:]], axis=0))
    chosen = tf.gather(per_example, beams, batch_dims=1)
    return tf.reshape(chosen, tf.shape(tensor))


def _write_at(sequences: tf.Tensor, ids: tf.Tensor, position: tf.Tensor) -> tf.Tensor:
    """Writes ids [...] into sequences [..., length] at `position` of the last dim."""
    at_position = tf.equal(tf.range(dim(sequences, -1)), position)
    return tf.where(at_position, ids[..., None], sequences)
