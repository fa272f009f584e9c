"""The Problem base class: data generation per split, reading it back, codec hooks and metrics."""
import os

import pytest
import tensorflow as tf

from t2t import registry
from t2t.data import shards
from t2t.ids import EOS_ID, PAD_ID
from t2t.modality import SymbolModality
from t2t.model import ProblemInfo
from t2t.problem import Problem


class ToyCopy(Problem):
    """Targets copy the inputs; ids are the integers written in the text."""

    def __init__(self, num_samples=12, fail_on_split=None):
        self.num_samples = num_samples
        self.fail_on_split = fail_on_split
        self.generated_splits = []

    def info(self):
        return ProblemInfo(SymbolModality(100), 100)

    def generate_samples(self, split, tmp_dir):
        self.generated_splits.append(split)
        offset = {"train": 10, "dev": 40, "test": 70}[split]
        for i in range(self.num_samples):
            if split == self.fail_on_split and i == 3:
                raise RuntimeError(f"{split} source unavailable")
            ids = list(range(offset, offset + i % 4 + 1))
            yield {"inputs": ids, "targets": ids}

    def encode(self, text):
        return [int(token) for token in text.split()]

    def decode(self, ids):
        return " ".join(str(i) for i in ids)


def _read_all(dataset):
    return [{name: tensor.numpy().tolist() for name, tensor in example.items()}
            for example in dataset]


def test_name_is_registered_name_or_snake_case_and_not_inherited():
    assert ToyCopy().name == "toy_copy"
    named = registry.register_problem("toy_named")(type("ToyNamed", (ToyCopy,), {}))
    try:
        assert named().name == "toy_named"
        assert type("ToyChild", (named,), {})().name == "toy_child"
    finally:
        registry.problems.unregister("toy_named")


def test_problem_is_abstract():
    with pytest.raises(TypeError):
        Problem()


def test_generate_data_writes_every_split_with_eos(tmp_path):
    problem = ToyCopy()
    problem.generate_data(str(tmp_path), str(tmp_path / "tmp"))

    assert problem.has_data(str(tmp_path))
    assert len(shards.split_files(str(tmp_path), "toy_copy", "train")) == 10
    assert len(shards.split_files(str(tmp_path), "toy_copy", "dev")) == 1
    assert (tmp_path / "tmp").is_dir()
    dev = _read_all(problem.dataset("dev", str(tmp_path)))
    expected = [{"inputs": sample["inputs"] + [EOS_ID], "targets": sample["targets"] + [EOS_ID]}
                for sample in ToyCopy().generate_samples("dev", "")]
    assert dev == expected


def test_dataset_element_spec_and_file_shuffling(tmp_path):
    problem = ToyCopy(num_samples=40)
    problem.generate_data(str(tmp_path), str(tmp_path / "tmp"))

    dataset = problem.dataset("train", str(tmp_path), shuffle_files=True)
    assert dataset.element_spec == {"inputs": tf.TensorSpec([None], tf.int32),
                                    "targets": tf.TensorSpec([None], tf.int32)}
    in_order = _read_all(problem.dataset("train", str(tmp_path)))
    shuffled = _read_all(dataset)
    assert sorted(map(str, shuffled)) == sorted(map(str, in_order))
    assert len(in_order) == 40


def test_generate_data_skips_complete_splits_and_resumes_after_a_failure(tmp_path):
    failing = ToyCopy(fail_on_split="dev")
    with pytest.raises(RuntimeError, match="dev source unavailable"):
        failing.generate_data(str(tmp_path), str(tmp_path / "tmp"))
    assert shards.split_is_complete(str(tmp_path), "toy_copy", "train")
    assert shards.split_files(str(tmp_path), "toy_copy", "dev") == []
    assert not failing.has_data(str(tmp_path))

    resumed = ToyCopy()
    resumed.generate_data(str(tmp_path), str(tmp_path / "tmp"))
    assert resumed.generated_splits == ["dev", "test"]
    assert resumed.has_data(str(tmp_path))


def test_missing_data_error_says_where_and_how_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        ToyCopy().dataset("dev", str(tmp_path / "nowhere"))
    message = str(error.value)
    for part in ["nowhere", "toy_copy", "'dev'", "t2t-datagen"]:
        assert part in message


def test_reserved_ids_in_samples_are_rejected(tmp_path):
    class BadIds(ToyCopy):
        def generate_samples(self, split, tmp_dir):
            yield {"inputs": [5, EOS_ID, 6], "targets": [5]}

    with pytest.raises(ValueError, match="reserved"):
        BadIds().generate_data(str(tmp_path), str(tmp_path / "tmp"))
    assert os.listdir(tmp_path) == ["tmp"]


def test_codec_hooks_add_and_strip_eos_and_padding():
    problem = ToyCopy()
    assert problem.encode_inputs("5 6 7") == [5, 6, 7]
    assert problem.decode_targets([5, 6, EOS_ID, 8, PAD_ID]) == "5 6"
    assert problem.decode_targets([5, PAD_ID, 6]) == "5 6"
    assert problem.decode_targets(tf.constant([9, EOS_ID]).numpy()) == "9"


def test_decode_metrics_exact_match():
    metrics = ToyCopy().decode_metrics(["1 2", "3 ", "4"], ["1 2", "3", "5"])
    assert metrics == {"exact_match": pytest.approx(2 / 3)}
    with pytest.raises(ValueError):
        ToyCopy().decode_metrics(["1"], [])
