"""Token-budget batching with length buckets, the too-long count, and evaluation batches."""
import random

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st

from t2t.data import batching

_SIGNATURE = {"inputs": tf.TensorSpec([None], tf.int32), "targets": tf.TensorSpec([None], tf.int32)}


def _dataset(num_examples=600, max_len=80, seed=0):
    """Examples of random lengths 1..max_len, filled with nonzero ids (so padding is countable).

    As in translation, a target is about as long as its input.
    """
    rng = random.Random(seed)
    input_lengths = [rng.randint(1, max_len) for _ in range(num_examples)]
    lengths = [(length, min(max_len, max(1, length + rng.randint(-3, 3))))
               for length in input_lengths]

    def examples():
        for index, (input_length, target_length) in enumerate(lengths):
            yield {"inputs": np.full([input_length], index + 2, np.int32),
                   "targets": np.full([target_length], index + 2, np.int32)}

    return tf.data.Dataset.from_generator(examples, output_signature=_SIGNATURE)


def _batches(dataset):
    return [{name: tensor.numpy() for name, tensor in batch.items()} for batch in dataset]


def _padding_fraction(batches):
    tokens = sum(batch[name].size for batch in batches for name in batch)
    padding = sum((batch[name] == 0).sum() for batch in batches for name in batch)
    return padding / tokens


def _example_ids(batches):
    """The id each example is filled with, i.e. which examples made it into the batches."""
    return sorted(int(row[0]) for batch in batches for row in batch["inputs"])


def test_bucket_lengths_grow_geometrically_up_to_max_length():
    lengths = batching.bucket_lengths(100)
    assert lengths[:3] == [8, 9, 10]
    assert lengths[-1] == 100
    assert all(b > a for a, b in zip(lengths, lengths[1:]))
    assert all(b <= max(a + 1, a * 1.1) for a, b in zip(lengths[:-1], lengths[1:-1]))
    assert batching.bucket_lengths(5) == [5]


@given(batch_tokens=st.integers(1, 10_000), max_length=st.integers(1, 500),
       multiple=st.integers(1, 16))
def test_bucket_batch_sizes_respect_budget_and_multiple(batch_tokens, max_length, multiple):
    lengths = batching.bucket_lengths(max_length)
    for length, size in zip(lengths, batching.bucket_batch_sizes(batch_tokens, lengths, multiple)):
        assert size % multiple == 0 and size >= multiple
        assert size * length <= batch_tokens or size == multiple


def test_batches_stay_within_token_budget_and_drop_only_too_long():
    max_length, batch_tokens = 64, 512
    batches = _batches(batching.batch_by_tokens(_dataset(), batch_tokens, max_length))

    for batch in batches:
        batch_size, padded_length = batch["inputs"].shape
        assert batch["targets"].shape[0] == batch_size
        assert batch_size * max(padded_length, batch["targets"].shape[1]) <= batch_tokens
    too_long, total = batching.count_too_long(_dataset(), max_length)
    assert total == 600 and too_long > 0
    assert len(_example_ids(batches)) == total - too_long


def test_batch_sizes_are_multiples_with_drop_remainder():
    batches = _batches(batching.batch_by_tokens(_dataset(), 1024, 64, min_batch_multiple=4,
                                                drop_remainder=True))
    assert batches
    assert all(batch["inputs"].shape[0] % 4 == 0 for batch in batches)


def test_pad_to_bucket_boundary_gives_few_static_lengths():
    max_length = 64
    batches = _batches(batching.batch_by_tokens(_dataset(), 512, max_length,
                                                pad_to_bucket_boundary=True))
    allowed = set(batching.bucket_lengths(max_length))
    for batch in batches:
        assert batch["inputs"].shape[1] in allowed
        assert batch["inputs"].shape[1] == batch["targets"].shape[1]


def test_bucketing_pads_less_than_naive_batching():
    bucketed = _batches(batching.batch_by_tokens(_dataset(), 1024, 80))
    average_batch_size = round(np.mean([batch["inputs"].shape[0] for batch in bucketed]))
    naive = _batches(_dataset().padded_batch(average_batch_size))

    assert _padding_fraction(bucketed) < 0.25 * _padding_fraction(naive)


def test_eval_batches_keep_every_example_in_order():
    batches = _batches(batching.eval_batches(_dataset(num_examples=50), batch_size=8))

    assert [batch["inputs"].shape[0] for batch in batches] == [8] * 6 + [2]
    assert _example_ids(batches) == list(range(2, 52))


def test_invalid_budget_is_an_error():
    with pytest.raises(ValueError, match="positive"):
        batching.batch_by_tokens(_dataset(), batch_tokens=0, max_length=10)
