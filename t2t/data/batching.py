"""Batches of about `batch_tokens` tokens each, grouping examples of similar length (T2T style).

Examples are put into length buckets whose upper lengths grow geometrically (8, 9, 10, ..., 20,
22, 24, ..., max_length). A bucket of upper length L batches batch_tokens // L examples, so short
sentences come in big batches, long ones in small batches, and little compute is spent on
padding. A batch is always padded to its own longest example (or, with `pad_to_bucket_boundary`, to
its bucket's upper length L, which bounds the number of distinct shapes for XLA).

Batch sizes here are GLOBAL, per training step: under data parallelism over N replicas pass
`min_batch_multiple=N` so every batch splits evenly, each replica then getting batch_size / N
examples.

Examples longer than `max_length` (length = max over features of the sequence length, EOS included)
are silently dropped by `batch_by_tokens`: tf.data has no clean way to report from inside a
pipeline. Call `count_too_long` once at startup to log how many a dataset loses.
"""
from __future__ import annotations

import tensorflow as tf

MIN_BUCKET_LENGTH = 8
BUCKET_LENGTH_STEP = 1.1


def bucket_lengths(max_length: int) -> list[int]:
    """Upper lengths of the buckets, inclusive and increasing; the last one is `max_length`."""
    lengths = []
    length = MIN_BUCKET_LENGTH
    while length < max_length:
        lengths.append(length)
        length = max(length + 1, int(length * BUCKET_LENGTH_STEP))
    return lengths + [max_length]


def bucket_batch_sizes(batch_tokens: int, lengths: list[int],
                       min_batch_multiple: int = 1) -> list[int]:
    """Examples per batch for each bucket upper length: batch_tokens // length, rounded down to a
    multiple of `min_batch_multiple`, and at least `min_batch_multiple`.

    A batch of bucket length L holds at most batch_tokens tokens unless batch_tokens // L is below
    `min_batch_multiple`, in which case it holds min_batch_multiple * L tokens.
    """
    multiple = min_batch_multiple
    return [max(multiple, batch_tokens // length // multiple * multiple) for length in lengths]


def example_length(example: dict[str, tf.Tensor]) -> tf.Tensor:
    """int32 scalar: the longest sequence among the example's features."""
    return tf.reduce_max([tf.shape(sequence)[0] for sequence in example.values()])


def batch_by_tokens(dataset: tf.data.Dataset, batch_tokens: int, max_length: int,
                    min_batch_multiple: int = 1, pad_to_bucket_boundary: bool = False,
                    drop_remainder: bool = False) -> tf.data.Dataset:
    """Groups examples into length-bucketed, padded batches of at most ~`batch_tokens` tokens.

    Args:
      dataset: unbatched examples, dicts of int32 [length] sequences (as `Problem.dataset` gives).
        Shuffle it first: buckets fill up in the order examples arrive.
      batch_tokens: token budget of one global batch (all replicas together): batch size × padded
        length stays ≤ batch_tokens, except as noted in `bucket_batch_sizes`.
      max_length: examples longer than this are dropped (see `count_too_long`).
      min_batch_multiple: every batch size is a multiple of this (e.g. the number of replicas).
      pad_to_bucket_boundary: pad to the bucket's upper length instead of the batch's longest
        example, so batches take one of len(bucket_lengths(max_length)) lengths (for XLA).
      drop_remainder: drop each bucket's final, smaller batch, so batch sizes are static too.
        Without it, that final batch may be any size, not a multiple of `min_batch_multiple`.

    Returns:
      A dataset of dicts of int32 [batch_size, padded_length] tensors, padded with PAD_ID (0).
    """
    if min(batch_tokens, max_length, min_batch_multiple) < 1:
        raise ValueError(f"batch_tokens={batch_tokens}, max_length={max_length} and "
                         f"min_batch_multiple={min_batch_multiple} must all be positive")
    lengths = bucket_lengths(max_length)
    # tf.data buckets are half-open [previous boundary, boundary); the bucket past the last boundary
    # stays empty because of the filter, so its batch size is never used.
    boundaries = [length + 1 for length in lengths]
    batch_sizes = bucket_batch_sizes(batch_tokens, lengths, min_batch_multiple)
    batch_sizes.append(batch_sizes[-1])
    short_enough = dataset.filter(lambda example: example_length(example) <= max_length)
    return short_enough.bucket_by_sequence_length(
        example_length, boundaries, batch_sizes, pad_to_bucket_boundary=pad_to_bucket_boundary,
        drop_remainder=drop_remainder)


def count_too_long(dataset: tf.data.Dataset, max_length: int) -> tuple[int, int]:
    """Reads `dataset` once and returns (examples longer than max_length, all examples).

    This is a full pass over the data: use it at startup, on the split you are about to batch.
    """
    def count(totals: tf.Tensor, example: dict[str, tf.Tensor]) -> tf.Tensor:
        too_long = tf.cast(example_length(example) > max_length, tf.int64)
        return totals + tf.stack([too_long, tf.constant(1, tf.int64)])

    too_long, total = dataset.reduce(tf.zeros([2], tf.int64), count).numpy()
    return int(too_long), int(total)


def eval_batches(dataset: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
    """Batches of `batch_size` examples (the last one may be smaller), each padded with PAD_ID to
    its longest example. Nothing is dropped, whatever its length: evaluation sees every example.

    Returns dicts of int32 [batch_size, padded_length] tensors.
    """
    return dataset.padded_batch(batch_size, drop_remainder=False)
