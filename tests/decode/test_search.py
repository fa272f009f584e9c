"""Tests of t2t.decode.search on toy symbols_to_logits_fns whose best outputs can be worked out."""
import itertools
import math

import numpy as np
import pytest
import tensorflow as tf

from t2t.decode.params import DecodeParams, parse_decode_hparams
from t2t.decode.search import (
    BeamSearch,
    GreedySearch,
    SamplingSearch,
    decode,
    length_penalty,
    search_for,
)
from t2t.ids import EOS_ID

A, B = 2, 3  # toy symbols; 0 is padding/start, 1 is EOS


def step_distribution_fn(probabilities_by_step: list[list[float]]):
    """A model whose next-symbol distribution depends only on the step (the last row repeats)."""
    log_probs = tf.math.log(tf.constant(probabilities_by_step))

    def symbols_to_logits_fn(ids, step, cache):
        row = tf.gather(log_probs, tf.minimum(step, len(probabilities_by_step) - 1))
        return tf.tile(row[None], [tf.shape(ids)[0], 1]), cache

    return symbols_to_logits_fn


# Vocabulary [pad, EOS, a, b]. Step 0: EOS 0.4, a 0.6. Step 1: EOS 0.6, a 0.4. Then EOS.
TINY = 1e-9
TOY = step_distribution_fn([[TINY, 0.4, 0.6 - 2 * TINY, TINY],
                            [TINY, 0.6, 0.4 - 2 * TINY, TINY],
                            [TINY, 1.0 - 3 * TINY, TINY, TINY]])


def test_parse_decode_hparams():
    assert parse_decode_hparams("beam_size=4,alpha=0.6") == DecodeParams(beam_size=4, alpha=0.6)
    assert parse_decode_hparams(" beam_size = 2 , max_length=9,") == DecodeParams(beam_size=2,
                                                                                 max_length=9)
    assert parse_decode_hparams("") == DecodeParams()
    assert parse_decode_hparams("temperature=1,top_k=3").temperature == 1.0


@pytest.mark.parametrize("text, message", [
    ("beam_sise=4", r"unknown decode hparam 'beam_sise'.*Did you mean beam_size.*Valid names: "
                    r"beam_size, alpha, extra_length"),
    ("beam_size=four", r"'beam_size=four': 'four' is not a valid int"),
    ("beam_size=4.5", "not a valid int"),
    ("alpha", "not name=value"),
    ("alpha=0.1,alpha=0.2", "given twice"),
    ("beam_size=0", "beam_size=0 must be >= 1"),
    ("beam_size=4,temperature=0.5", "cannot be combined"),
    ("top_k=5", "top_k only applies to sampling"),
])
def test_parse_decode_hparams_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        parse_decode_hparams(text)


def test_decode_length():
    assert DecodeParams().decode_length(10) == 60
    assert DecodeParams(extra_length=5, max_length=12).decode_length(10) == 12
    assert int(DecodeParams(max_length=12).decode_length(tf.constant(10))) == 12


def test_length_penalty():
    assert float(length_penalty(2, 0.6)) == pytest.approx((7 / 6) ** 0.6)
    assert float(length_penalty(9, 0.0)) == 1.0


def test_greedy_search_picks_most_likely_and_pads_after_eos():
    ids, scores = GreedySearch()(TOY, 2, 5, {})
    np.testing.assert_array_equal(ids, [[A, EOS_ID, 0, 0, 0]] * 2)
    np.testing.assert_allclose(scores, [math.log(0.6 * 0.6)] * 2, rtol=1e-5)


def test_greedy_search_pads_after_eos_and_stops_when_all_finished():
    calls = []

    def example_i_ends_at_step_i(ids, step, cache):
        calls.append(step)
        symbols = tf.where(tf.range(tf.shape(ids)[0]) <= step, EOS_ID, A)
        return tf.one_hot(symbols, 4) * 10.0, cache

    ids, _ = GreedySearch()(example_i_ends_at_step_i, 3, 10, {})
    np.testing.assert_array_equal(ids, [[EOS_ID] + [0] * 9,
                                        [A, EOS_ID] + [0] * 8,
                                        [A, A, EOS_ID] + [0] * 7])
    assert len(calls) == 3  # eager, so the loop body runs in Python once per step


@pytest.mark.parametrize("alpha, best, log_prob, length", [
    (0.0, [EOS_ID, 0, 0], math.log(0.4), 1),       # -0.92 beats log(0.36) = -1.02
    (1.0, [A, EOS_ID, 0], math.log(0.36), 2),      # -1.02 / (7/6) = -0.88 beats -0.92 / 1
])
def test_beam_search_length_penalty_by_hand(alpha, best, log_prob, length):
    ids, scores = BeamSearch(3, alpha)(TOY, 1, 3, {})
    np.testing.assert_array_equal(ids, [best])
    expected = log_prob / ((5 + length) / 6) ** alpha
    np.testing.assert_allclose(scores, [expected], rtol=1e-5)


class PrefixModel:
    """A random model whose next-symbol logits depend on the whole prefix, through its cache.

    The cache holds a code of the prefix (one per example, starting from the example's index), so
    a search that does not reorder caches along with its beams feeds the model wrong prefixes, and
    the scores it reports no longer match the log-probabilities of the sequences it returns.
    """
    VOCAB, MAX_LENGTH, BATCH = 5, 4, 3

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        codes = self.BATCH * self.VOCAB ** self.MAX_LENGTH
        self.logits = 2.0 * rng.normal(size=[self.MAX_LENGTH, codes, self.VOCAB]).astype(np.float32)
        # Discourage EOS, so that the best hypotheses are long enough to need reordered caches.
        self.logits[..., EOS_ID] -= 1.0
        self.cache = {"code": tf.range(self.BATCH)}

    def symbols_to_logits_fn(self, ids, step, cache):
        code = cache["code"] * self.VOCAB + ids
        return tf.gather(tf.gather(self.logits, step), code), {"code": code}

    def log_prob(self, example: int, ids) -> tuple[float, int]:
        """Log-probability and length (EOS included) of decoded ids, by walking the table."""
        code, previous, total = example, 0, 0.0
        for step, symbol in enumerate(ids):
            code = code * self.VOCAB + previous
            total += tf.nn.log_softmax(self.logits[step, code])[symbol].numpy()
            previous = symbol
            if symbol == EOS_ID:
                return total, step + 1
        return total, len(ids)

    def best_by_brute_force(self, example: int, alpha: float) -> float:
        """Best length-penalized score among all sequences ending in EOS within MAX_LENGTH."""
        not_eos = [s for s in range(self.VOCAB) if s != EOS_ID]
        scores = []
        for length in range(1, self.MAX_LENGTH + 1):
            for prefix in itertools.product(not_eos, repeat=length - 1):
                log_prob, _ = self.log_prob(example, [*prefix, EOS_ID])
                scores.append(log_prob / ((5 + length) / 6) ** alpha)
        return max(scores)


@pytest.mark.parametrize("search", ["greedy", "sample", "beam"])
def test_scores_are_log_probs_of_returned_sequences(search):
    model = PrefixModel()
    args = (model.symbols_to_logits_fn, model.BATCH)
    if search == "greedy":
        ids, scores = GreedySearch()(*args, model.MAX_LENGTH, model.cache)
    elif search == "sample":
        ids, scores = SamplingSearch(temperature=1.0)(*args, model.MAX_LENGTH, model.cache)
    else:
        ids, scores = BeamSearch(3, 0.6)(*args, model.MAX_LENGTH, model.cache)
    for example in range(model.BATCH):
        log_prob, length = model.log_prob(example, ids[example].numpy())
        penalty = ((5 + length) / 6) ** 0.6 if search == "beam" else 1.0
        assert scores[example].numpy() == pytest.approx(log_prob / penalty, rel=1e-5)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 2.0])
def test_exhaustive_beam_finds_the_best_sequence(alpha):
    model = PrefixModel(seed=1)
    # 160 beams keep every prefix alive and all their extensions among the 2 * 160 candidates.
    _, scores = BeamSearch(160, alpha)(model.symbols_to_logits_fn, model.BATCH, model.MAX_LENGTH,
                                       model.cache)
    for example in range(model.BATCH):
        expected = model.best_by_brute_force(example, alpha)
        assert scores[example].numpy() == pytest.approx(expected, rel=1e-5)


def test_beam_search_in_graph_with_tensor_batch_size():
    model = PrefixModel()

    @tf.function
    def search_in_graph(cache):
        batch_size = tf.shape(cache["code"])[0]  # a tensor, though the cache's shape is static
        return BeamSearch(3, 0.6)(model.symbols_to_logits_fn, batch_size, model.MAX_LENGTH, cache)

    expected = BeamSearch(3, 0.6)(model.symbols_to_logits_fn, model.BATCH, model.MAX_LENGTH,
                                  model.cache)
    np.testing.assert_array_equal(search_in_graph(model.cache)[0], expected[0])


def test_sampling_is_seeded_and_respects_top_k():
    uniform = step_distribution_fn([[0.1] * 10])
    first = SamplingSearch(1.0, seed=3)(uniform, 64, 6, {})[0].numpy()
    again = SamplingSearch(1.0, seed=3)(uniform, 64, 6, {})[0].numpy()
    other = SamplingSearch(1.0, seed=4)(uniform, 64, 6, {})[0].numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)

    skewed = step_distribution_fn([[0.05, 0.05, 0.3, 0.25, 0.2, 0.15]])
    ids = SamplingSearch(1.0, top_k=2)(skewed, 200, 4, {})[0].numpy()
    assert set(np.unique(ids)) == {A, B}


def test_params_choose_the_strategy():
    assert search_for(DecodeParams()) == GreedySearch()
    assert search_for(DecodeParams(beam_size=4, alpha=0.2)) == BeamSearch(4, 0.2)
    assert search_for(DecodeParams(temperature=0.5, top_k=3, seed=7)) == SamplingSearch(0.5, 3, 7)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        SamplingSearch(temperature=0.0)


def test_decode_dispatches_on_params():
    greedy = decode(TOY, 1, 3, {}, DecodeParams())
    beam = decode(TOY, 1, 3, {}, DecodeParams(beam_size=2, alpha=0.0))
    np.testing.assert_array_equal(greedy["outputs"], [[A, EOS_ID, 0]])
    np.testing.assert_array_equal(beam["outputs"], [[EOS_ID, 0, 0]])
    assert greedy["scores"].dtype == tf.float32 and greedy["outputs"].dtype == tf.int32
