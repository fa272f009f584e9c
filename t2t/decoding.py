"""Model-agnostic autoregressive decoding: greedy, sampling and beam search.

A model exposes one decoding step as

    symbols_to_logits_fn(ids, step, cache) -> (logits, new_cache)

where `ids` int32 [batch] are the symbols decoded at the previous step (the start symbol 0 at step
0, as shifted targets start with 0 in training), `step` is an int32 scalar (the position being
decoded) and `cache` is any nest of tensors whose leading dimension is the batch (e.g. per-layer
key/value caches). Logits are [batch, vocab]. The searches run a `tf.while_loop` with fixed shapes,
so they work inside `tf.function`, with or without `jit_compile`.

Outputs are int32 [batch, max_length]: the decoded ids up to and including EOS, then 0 (padding).
Lengths for the length penalty count the EOS.
"""
from __future__ import annotations

import dataclasses
import difflib
from typing import Any, Callable

import tensorflow as tf

from t2t.layers.shapes import dim
from t2t.model import EOS_ID, PAD_ID

# A nest of tensors whose leading dimension is the batch (batch * beam inside beam search).
Cache = Any
SymbolsToLogitsFn = Callable[[tf.Tensor, tf.Tensor, Cache], tuple[tf.Tensor, Cache]]

_NEG_INF = float("-inf")


@dataclasses.dataclass(frozen=True)
class DecodeParams:
    """How to decode (`--decode_hparams="beam_size=4,alpha=0.6"`).

    Attributes:
      beam_size: 1 decodes greedily (or samples, if temperature > 0); more runs beam search.
      alpha: exponent of the GNMT length penalty ((5 + length) / 6) ** alpha in beam search.
      extra_length: decode up to input_length + extra_length symbols (T2T's decode_length).
      max_length: if > 0, a cap on the decoded length.
      temperature: if > 0 (and beam_size == 1), sample from softmax(logits / temperature).
      top_k: if > 0, sample only among the top_k most likely symbols.
      batch_size: sentences per decoding batch (used by the decoder CLI).
      seed: seed of the (stateless, reproducible) sampling.
      lm_path: a character LM written by t2t-char-lm, fused into CTC beam search (CTC models
        only, with beam_size > 1; no commas, as decode_hparams are split on them).
      word_lm_path: a word LM written by t2t-word-lm (needs lm_path): finished words are then
        scored by it, spelled by the character LM (see `t2t.ctc_lm_decoding`).
      backoff_lm_path: a closed-vocabulary backoff word LM (ARPA text or a CMU Sphinx trie binary,
        `t2t.backoff_lm`; needs word_lm_path), interpolated with the word LM
        (`t2t.word_lm_mixture`).
      backoff_lm_weight: λ, that backoff LM's share of the word probability, in (0, 1).
      lm_weight: α, the weight of the LM's log-probability in the fused score.
      lm_bonus: β, added to the fused score per decoded character (offsets the LM's preference
        for short transcripts).
      adapt_steps: if > 0 (CTC models only), each utterance is decoded alone after this many
        steps of test-time adaptation to it (`t2t.test_time_adaptation`).
      adapt_learning_rate: the Adam step size of that adaptation.
    """
    beam_size: int = 1
    alpha: float = 0.6
    extra_length: int = 50
    max_length: int = 0
    temperature: float = 0.0
    top_k: int = 0
    batch_size: int = 32
    seed: int = 0
    lm_path: str = ""
    word_lm_path: str = ""
    backoff_lm_path: str = ""
    backoff_lm_weight: float = 0.0
    lm_weight: float = 0.0
    lm_bonus: float = 0.0
    adapt_steps: int = 0
    adapt_learning_rate: float = 0.0

    def __post_init__(self):
        problems = [f"{name}={getattr(self, name)} must be >= {low}"
                    for name, low in [("beam_size", 1), ("alpha", 0), ("extra_length", 0),
                                      ("max_length", 0), ("temperature", 0), ("top_k", 0),
                                      ("batch_size", 1), ("lm_weight", 0),
                                      ("adapt_steps", 0), ("adapt_learning_rate", 0)]
                    if getattr(self, name) < low]
        if self.temperature > 0 and self.beam_size > 1:
            problems.append("sampling (temperature > 0) and beam search (beam_size > 1) "
                            "cannot be combined")
        if self.top_k > 0 and self.temperature == 0:
            problems.append("top_k only applies to sampling; set temperature > 0")
        if not self.lm_path:
            problems += [f"{name}={getattr(self, name)} needs lm_path"
                         for name in ("word_lm_path", "lm_weight", "lm_bonus")
                         if getattr(self, name)]
        elif self.beam_size == 1:
            problems.append("lm_path needs beam search (beam_size > 1)")
        if self.backoff_lm_path and not self.word_lm_path:
            problems.append("backoff_lm_path needs word_lm_path (it is interpolated with it)")
        if self.backoff_lm_path and not 0 < self.backoff_lm_weight < 1:
            problems.append(f"backoff_lm_weight={self.backoff_lm_weight} must be between 0 and 1 "
                            f"(exclusive) with backoff_lm_path")
        if self.backoff_lm_weight and not self.backoff_lm_path:
            problems.append(f"backoff_lm_weight={self.backoff_lm_weight} needs backoff_lm_path")
        if self.adapt_steps and not self.adapt_learning_rate:
            problems.append(f"adapt_steps={self.adapt_steps} needs adapt_learning_rate > 0")
        if problems:
            raise ValueError("invalid decode params: " + "; ".join(problems))

    def decode_length(self, input_length: int | tf.Tensor) -> int | tf.Tensor:
        """Maximum decoded length: input_length + extra_length, capped by max_length if set."""
        length = input_length + self.extra_length
        if self.max_length and tf.is_tensor(length):
            return tf.minimum(length, self.max_length)
        return min(length, self.max_length) if self.max_length else length


def parse_decode_hparams(text: str) -> DecodeParams:
    """Parses "beam_size=4,alpha=0.6" into DecodeParams; unset fields keep their defaults.

    Raises ValueError on an unknown name (with the closest valid names), a value of the wrong type,
    a repeated name or an item that is not name=value. Nothing is silently ignored.
    """
    fields = {field.name: type(field.default) for field in dataclasses.fields(DecodeParams)}
    valid = ", ".join(fields)
    values: dict[str, int | float | str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, equals, value = (part.strip() for part in item.partition("="))
        if not equals:
            raise ValueError(f"decode hparam {item!r} is not name=value; valid names: {valid}")
        if name not in fields:
            close = difflib.get_close_matches(name, fields, n=3)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise ValueError(f"unknown decode hparam {name!r} in {item!r}.{hint} "
                             f"Valid names: {valid}")
        if name in values:
            raise ValueError(f"decode hparam {name!r} is given twice in {text!r}")
        try:
            values[name] = fields[name](value)
        except ValueError:
            raise ValueError(f"decode hparam {item!r}: {value!r} is not a valid "
                             f"{fields[name].__name__}") from None
    return DecodeParams(**values)


def decode(symbols_to_logits_fn: SymbolsToLogitsFn, batch_size: int | tf.Tensor,
           max_length: int | tf.Tensor, cache: Cache, params: DecodeParams,
           eos_id: int = EOS_ID) -> dict[str, tf.Tensor]:
    """Runs the search `params` asks for.

    Returns {"outputs": int32 [batch, max_length], "scores": float32 [batch]}: log-probabilities for
    greedy decoding and sampling, length-penalized log-probabilities for beam search.
    """
    if params.beam_size > 1:
        ids, scores = beam_search(symbols_to_logits_fn, batch_size, params.beam_size, max_length,
                                  params.alpha, cache, eos_id)
    elif params.temperature > 0:
        ids, scores = sample(symbols_to_logits_fn, batch_size, max_length, cache,
                             params.temperature, params.top_k, params.seed, eos_id)
    else:
        ids, scores = greedy_search(symbols_to_logits_fn, batch_size, max_length, cache, eos_id)
    return {"outputs": ids, "scores": scores}


def length_penalty(length: int | tf.Tensor, alpha: float) -> tf.Tensor:
    """GNMT length penalty ((5 + length) / 6) ** alpha (Wu et al. 2016), float32."""
    return tf.pow((5.0 + tf.cast(length, tf.float32)) / 6.0, alpha)


def greedy_search(symbols_to_logits_fn: SymbolsToLogitsFn, batch_size: int | tf.Tensor,
                  max_length: int | tf.Tensor, cache: Cache,
                  eos_id: int = EOS_ID) -> tuple[tf.Tensor, tf.Tensor]:
    """Picks the most likely symbol at each step.

    Returns ids int32 [batch, max_length] and their log-probabilities float32 [batch].
    """
    def most_likely(logits: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
        del step
        return tf.argmax(logits, axis=-1, output_type=tf.int32)

    return _decode_single_path(symbols_to_logits_fn, batch_size, max_length, cache, eos_id,
                               most_likely)


def sample(symbols_to_logits_fn: SymbolsToLogitsFn, batch_size: int | tf.Tensor,
           max_length: int | tf.Tensor, cache: Cache, temperature: float, top_k: int = 0,
           seed: int = 0, eos_id: int = EOS_ID) -> tuple[tf.Tensor, tf.Tensor]:
    """Samples each symbol from softmax(logits / temperature), among the top_k if top_k > 0.

    Stateless: the same seed gives the same samples. Returns ids int32 [batch, max_length] and
    their log-probabilities under the model (temperature 1) float32 [batch].
    """
    if temperature <= 0:
        raise ValueError(f"sample: temperature must be > 0, got {temperature}")
    base_seed = tf.constant([seed, 0], tf.int64)

    def draw(logits: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
        if top_k > 0:
            kth_largest = tf.math.top_k(logits, k=top_k).values[:, -1:]
            logits = tf.where(logits < kth_largest, _NEG_INF, logits)
        step_seed = tf.random.experimental.stateless_fold_in(base_seed, step)
        drawn = tf.random.stateless_categorical(logits / temperature, 1, step_seed,
                                                dtype=tf.int32)
        return drawn[:, 0]

    return _decode_single_path(symbols_to_logits_fn, batch_size, max_length, cache, eos_id, draw)


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


def beam_search(symbols_to_logits_fn: SymbolsToLogitsFn, batch_size: int | tf.Tensor,
                beam_size: int, max_length: int | tf.Tensor, alpha: float, cache: Cache,
                eos_id: int = EOS_ID) -> tuple[tf.Tensor, tf.Tensor]:
    """Beam search keeping `beam_size` alive and `beam_size` finished hypotheses per example.

    A hypothesis of log-probability logp and length n (EOS included) scores logp / length_penalty(n).
    Each step extends every alive beam by every symbol and keeps the 2 * beam_size most likely
    extensions: those ending in EOS compete for the finished set, the others refill the alive set
    (whose caches are reordered to follow their parent beams). The search stops at max_length or
    when no alive beam can still beat the best finished one.

    Args:
      cache: nest of [batch, ...] tensors; it is repeated to [batch * beam_size, ...] (beams of one
        example are adjacent), which is the batch symbols_to_logits_fn sees.

    Returns:
      ids int32 [batch, max_length] of the best hypothesis per example (the best alive one when none
      finished) and its score float32 [batch].
    """
    def body(step, alive_seq, alive_log_probs, finished_seq, finished_scores, finished_flags,
             cache):
        # Sequences carry the start symbol at position 0; position step + 1 is decoded now.
        last_ids = tf.reshape(tf.gather(alive_seq, step, axis=2), [-1])
        logits, cache = symbols_to_logits_fn(last_ids, step, cache)
        log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32))
        vocab_size = dim(log_probs, -1)
        log_probs = tf.reshape(log_probs, [-1, beam_size, vocab_size])
        candidates = tf.reshape(alive_log_probs[:, :, None] + log_probs,
                                [-1, beam_size * vocab_size])
        top_log_probs, top_indices = tf.math.top_k(candidates, k=2 * beam_size)
        top_parents = top_indices // vocab_size
        top_ids = top_indices % vocab_size
        top_seq = _write_at(tf.gather(alive_seq, top_parents, batch_dims=1), top_ids, step + 1)
        top_ended = tf.equal(top_ids, eos_id)

        # The alive set: the best extensions that did not end, with their parents' caches.
        alive_log_probs, keep = tf.math.top_k(tf.where(top_ended, _NEG_INF, top_log_probs),
                                              k=beam_size)
        alive_seq = tf.gather(top_seq, keep, batch_dims=1)
        parents = tf.gather(top_parents, keep, batch_dims=1)
        cache = tf.nest.map_structure(lambda t: _gather_beams(t, parents, beam_size), cache)

        # The finished set: the best of the old finished hypotheses and those ending now.
        ended_scores = top_log_probs / length_penalty(step + 1, alpha)
        scores = tf.concat([finished_scores, tf.where(top_ended, ended_scores, _NEG_INF)], 1)
        finished_scores, keep = tf.math.top_k(scores, k=beam_size)
        finished_seq = tf.gather(tf.concat([finished_seq, top_seq], 1), keep, batch_dims=1)
        finished_flags = tf.gather(tf.concat([finished_flags, top_ended], 1), keep, batch_dims=1)
        return (step + 1, alive_seq, alive_log_probs, finished_seq, finished_scores,
                finished_flags, cache)

    def may_improve(step, alive_seq, alive_log_probs, finished_seq, finished_scores,
                    finished_flags, cache):
        # Log-probabilities only fall as sequences grow and the penalty is largest at max_length,
        # so no descendant of the best alive beam can score above this bound.
        best_alive_bound = alive_log_probs[:, 0] / length_penalty(max_length, alpha)
        can_improve = tf.reduce_any(best_alive_bound > finished_scores[:, 0])
        return tf.logical_and(step < max_length, can_improve)

    sequences = tf.zeros([batch_size, beam_size, max_length + 1], tf.int32)  # 0: start symbol
    first_beam_only = tf.constant([[0.0] + [_NEG_INF] * (beam_size - 1)])
    start = (tf.constant(0), sequences, tf.tile(first_beam_only, [batch_size, 1]), sequences,
             tf.fill([batch_size, beam_size], _NEG_INF), tf.zeros([batch_size, beam_size], tf.bool),
             tf.nest.map_structure(lambda t: tf.repeat(t, beam_size, axis=0), cache))
    _, alive_seq, alive_log_probs, finished_seq, finished_scores, finished_flags, _ = (
        tf.while_loop(may_improve, body, start))

    any_finished = tf.reduce_any(finished_flags, axis=1)
    ids = tf.where(any_finished[:, None], finished_seq[:, 0, 1:], alive_seq[:, 0, 1:])
    alive_scores = alive_log_probs[:, 0] / length_penalty(max_length, alpha)
    scores = tf.where(any_finished, finished_scores[:, 0], alive_scores)
    return ids, scores


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
