"""Sharded TFRecord files of int64 features, written atomically and in one streaming pass.

A split of a problem lives in `num_shards` files named T2T style:

    <data_dir>/<problem>-<split>-NNNNN-of-NNNNN        e.g. algorithmic_reverse-train-00003-of-00010

`write_shards` deals examples round-robin into the shards as they arrive, so it holds one example in
memory, never a whole shard. Every shard is first written under a hidden temporary name
(`.<final name>.incomplete-<pid>`) and only renamed to its final name once *all* shards of the split
are closed, so a split appears whole or not at all: an error or Ctrl-C mid-stream deletes the
temporaries and leaves no final-named file behind.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from contextlib import ExitStack

import tensorflow as tf
from absl import logging


def shard_name(problem_name: str, split: str, index: int, num_shards: int) -> str:
    """The file name (no directory) of shard `index` (0-based) of `num_shards`."""
    return f"{problem_name}-{split}-{index:05d}-of-{num_shards:05d}"


def split_files(data_dir: str, problem_name: str, split: str) -> list[str]:
    """Sorted paths of the final-named shards of a split that exist in `data_dir` (maybe none)."""
    if not os.path.isdir(data_dir):
        return []
    pattern = _shard_pattern(problem_name, split)
    return sorted(os.path.join(data_dir, name) for name in os.listdir(data_dir)
                  if pattern.fullmatch(name))


def split_is_complete(data_dir: str, problem_name: str, split: str) -> bool:
    """True iff shards 0..N-1 "of N" all exist for one N, and no shard claims another N."""
    pattern = _shard_pattern(problem_name, split)
    numbered = [pattern.fullmatch(os.path.basename(path)).groups()
                for path in split_files(data_dir, problem_name, split)]
    totals = {int(total) for _, total in numbered}
    if len(totals) != 1:
        return False
    (total,) = totals
    return sorted(int(index) for index, _ in numbered) == list(range(total))


def write_shards(examples: Iterable[dict[str, Sequence[int]]], data_dir: str, problem_name: str,
                 split: str, num_shards: int) -> list[str]:
    """Streams `examples` round-robin into `num_shards` TFRecord files of `tf.train.Example`s.

    Args:
      examples: dicts mapping a feature name to a list of ints (token ids); every example becomes
        one `tf.train.Example` whose features are int64 lists.
      data_dir: directory of the shards; created if missing.
      problem_name, split: used to name the files (see the module docstring).
      num_shards: number of files to write (≥ 1).

    Returns:
      The final paths of the shards, in shard order.

    Raises:
      FileExistsError: if some shard of this split already exists (delete them to regenerate).
      ValueError: if `examples` is empty or `num_shards` < 1.
      Anything `examples` raises, after deleting the temporary files.
    """
    if num_shards < 1:
        raise ValueError(f"num_shards must be at least 1, got {num_shards}")
    existing = split_files(data_dir, problem_name, split)
    if existing:
        raise FileExistsError(
            f"{len(existing)} shard(s) of {problem_name} {split} already exist in {data_dir} "
            f"(e.g. {existing[0]}); delete them to regenerate this split.")
    os.makedirs(data_dir, exist_ok=True)
    final_paths = [os.path.join(data_dir, shard_name(problem_name, split, index, num_shards))
                   for index in range(num_shards)]
    temp_paths = [_temp_path(path) for path in final_paths]
    try:
        num_examples = _write_round_robin(examples, temp_paths)
        if num_examples == 0:
            raise ValueError(f"problem {problem_name!r} generated no examples for split {split!r}")
        _rename_all(temp_paths, final_paths)
    except BaseException:
        _remove_if_present(temp_paths)
        raise
    logging.info("Wrote %d %s examples of %s to %d shard(s) in %s",
                 num_examples, split, problem_name, num_shards, data_dir)
    return final_paths


def _shard_pattern(problem_name: str, split: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(problem_name)}-{re.escape(split)}-(\d{{5}})-of-(\d{{5}})")


def _temp_path(final_path: str) -> str:
    directory, name = os.path.split(final_path)
    return os.path.join(directory, f".{name}.incomplete-{os.getpid()}")


def _write_round_robin(examples: Iterable[dict[str, Sequence[int]]], paths: list[str]) -> int:
    """Writes example i to paths[i % len(paths)]; returns the number of examples written."""
    num_examples = 0
    with ExitStack() as stack:
        writers = [stack.enter_context(tf.io.TFRecordWriter(path)) for path in paths]
        for example in examples:
            writers[num_examples % len(writers)].write(_to_tf_example(example))
            num_examples += 1
    return num_examples


def _to_tf_example(example: dict[str, Sequence[int]]) -> bytes:
    features = {name: tf.train.Feature(int64_list=tf.train.Int64List(value=ids))
                for name, ids in example.items()}
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


def _rename_all(temp_paths: list[str], final_paths: list[str]) -> None:
    """Renames every temporary to its final name; if one rename fails, un-publishes the others."""
    try:
        for temp_path, final_path in zip(temp_paths, final_paths):
            os.replace(temp_path, final_path)
    except BaseException:
        _remove_if_present(final_paths)
        raise


def _remove_if_present(paths: list[str]) -> None:
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
