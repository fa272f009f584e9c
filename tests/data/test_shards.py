"""Sharded TFRecord writing: names, round-robin counts, contents, and atomicity under failure."""
import os

import pytest
import tensorflow as tf

from t2t.data import shards


def _examples(count):
    for i in range(count):
        yield {"inputs": [i + 2] * (i % 5 + 1), "targets": [i + 3]}


def _read(path):
    spec = {"inputs": tf.io.RaggedFeature(tf.int64), "targets": tf.io.RaggedFeature(tf.int64)}
    return [{name: tensor.numpy().tolist() for name, tensor in
             tf.io.parse_single_example(record, spec).items()}
            for record in tf.data.TFRecordDataset(path)]


def test_shard_name_is_t2t_style():
    assert shards.shard_name("algorithmic_reverse", "train", 3, 10) == (
        "algorithmic_reverse-train-00003-of-00010")


def test_write_shards_names_counts_and_contents(tmp_path):
    paths = shards.write_shards(_examples(23), str(tmp_path), "toy", "train", num_shards=4)

    assert [os.path.basename(p) for p in paths] == [f"toy-train-{i:05d}-of-00004" for i in range(4)]
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p in paths)
    assert shards.split_files(str(tmp_path), "toy", "train") == paths
    assert shards.split_is_complete(str(tmp_path), "toy", "train")
    per_shard = [_read(path) for path in paths]
    assert [len(records) for records in per_shard] == [6, 6, 6, 5]
    # Round-robin: example i is in shard i % 4, in order.
    assert per_shard[1] == list(_examples(23))[1::4]


def test_split_files_ignores_other_problems_splits_and_temporaries(tmp_path):
    shards.write_shards(_examples(3), str(tmp_path), "toy", "dev", 1)
    shards.write_shards(_examples(3), str(tmp_path), "toy_two", "dev", 1)
    shards.write_shards(_examples(3), str(tmp_path), "toy", "test", 1)
    (tmp_path / ".toy-dev-00000-of-00001.incomplete-123").write_text("")

    expected = [str(tmp_path / "toy-dev-00000-of-00001")]
    assert shards.split_files(str(tmp_path), "toy", "dev") == expected
    assert shards.split_files(str(tmp_path / "missing"), "toy", "dev") == []


def test_split_is_complete_needs_every_shard_of_one_total(tmp_path):
    assert not shards.split_is_complete(str(tmp_path), "toy", "train")
    for name in ["toy-train-00000-of-00002", "toy-train-00001-of-00002"]:
        (tmp_path / name).write_text("")
    assert shards.split_is_complete(str(tmp_path), "toy", "train")

    (tmp_path / "toy-train-00002-of-00003").write_text("")
    assert not shards.split_is_complete(str(tmp_path), "toy", "train")

    os.remove(tmp_path / "toy-train-00002-of-00003")
    os.remove(tmp_path / "toy-train-00000-of-00002")
    assert not shards.split_is_complete(str(tmp_path), "toy", "train")


def test_only_temporaries_exist_while_writing(tmp_path):
    seen_while_writing = []

    def examples():
        yield from _examples(5)
        seen_while_writing.extend(os.listdir(tmp_path))
        yield from _examples(5)

    shards.write_shards(examples(), str(tmp_path), "toy", "train", 2)

    assert len(seen_while_writing) == 2
    assert all(name.startswith(".toy-train-") and f".incomplete-{os.getpid()}" in name
               for name in seen_while_writing)


@pytest.mark.parametrize("error", [RuntimeError("generator broke"), KeyboardInterrupt()])
def test_failure_mid_stream_leaves_no_files(tmp_path, error):
    def examples():
        yield from _examples(7)
        raise error

    with pytest.raises(type(error)):
        shards.write_shards(examples(), str(tmp_path), "toy", "train", 3)

    assert os.listdir(tmp_path) == []


def test_empty_stream_is_an_error_naming_problem_and_split(tmp_path):
    with pytest.raises(ValueError, match="'toy'.*'dev'"):
        shards.write_shards(iter([]), str(tmp_path), "toy", "dev", 1)
    assert os.listdir(tmp_path) == []


def test_refuses_to_mix_with_existing_shards(tmp_path):
    shards.write_shards(_examples(4), str(tmp_path), "toy", "train", 2)
    with pytest.raises(FileExistsError, match="delete them"):
        shards.write_shards(_examples(4), str(tmp_path), "toy", "train", 3)
    assert len(os.listdir(tmp_path)) == 2
