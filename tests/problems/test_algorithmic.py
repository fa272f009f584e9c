"""Algorithmic problems: correct targets, lengths, disjoint deterministic splits, codec and gin."""
import gin
import pytest

import t2t.problems  # noqa: F401  (registers the built-in problems)
from t2t import registry
from t2t.problems.algorithmic import VOCAB_SIZE, AlgorithmicAddition, AlgorithmicReverse, split_of


def _texts(problem, split):
    return [(problem.decode(sample["inputs"]), problem.decode(sample["targets"]))
            for sample in problem.generate_samples(split, tmp_dir="")]


def _number(little_endian_digits):
    return int("".join(reversed(little_endian_digits.split())))


def test_registered_with_shared_vocabulary():
    assert registry.problems.get("algorithmic_reverse") is AlgorithmicReverse
    assert registry.problems.get("algorithmic_addition") is AlgorithmicAddition
    info = AlgorithmicReverse().info()
    assert info.inputs.vocab_size == info.target_vocab_size == VOCAB_SIZE == 13


def test_reverse_targets_and_lengths():
    problem = AlgorithmicReverse(min_length=3, max_length=7, num_train=300)
    samples = _texts(problem, "train")

    assert len(samples) == 300
    for inputs, targets in samples:
        assert targets.split() == inputs.split()[::-1]
        assert 3 <= len(inputs.split()) <= 7
    assert {len(inputs.split()) for inputs, _ in samples} == set(range(3, 8))


def test_addition_targets_are_sums_of_little_endian_numbers():
    problem = AlgorithmicAddition(min_length=1, max_length=4, num_train=300)
    for inputs, targets in _texts(problem, "train"):
        first, second = inputs.split(" + ")
        for number in (first, second):
            digits = number.split()
            assert 1 <= len(digits) <= 4
            assert digits[-1] != "0" or len(digits) == 1  # no leading zeros
        assert _number(targets) == _number(first) + _number(second)


@pytest.mark.parametrize("problem_class", [AlgorithmicReverse, AlgorithmicAddition])
def test_splits_are_disjoint(problem_class):
    problem = problem_class(max_length=3, num_train=3000, num_dev=20, num_test=20)
    train_inputs = {inputs for inputs, _ in _texts(problem, "train")}
    for split in ("dev", "test"):
        held_out = {inputs for inputs, _ in _texts(problem, split)}
        assert held_out and not held_out & train_inputs
        assert all(split_of(inputs.split()) == split for inputs in held_out)


def test_generation_is_deterministic_given_the_seed():
    def make(seed):
        return AlgorithmicAddition(num_train=50, num_dev=5, seed=seed)

    assert _texts(make(7), "train") == _texts(make(7), "train")
    assert _texts(make(7), "dev") == _texts(make(7), "dev")
    assert _texts(make(7), "train") != _texts(make(8), "train")


def test_too_small_sequence_space_is_an_error_not_a_hang():
    # All ten one-digit strings hash into train, so no dev sample exists.
    problem = AlgorithmicReverse(min_length=1, max_length=1, num_dev=1)
    with pytest.raises(ValueError, match="too few distinct sequences"):
        _texts(problem, "dev")


def test_text_codec_round_trip_and_unknown_symbols():
    problem = AlgorithmicAddition()
    assert problem.encode("3 1 + 4") == [5, 3, 12, 6]
    assert problem.decode([5, 3, 12, 6]) == "3 1 + 4"
    assert problem.decode_targets(problem.encode_inputs("9 0") + [1, 0, 0]) == "9 0"
    with pytest.raises(ValueError, match="'x'"):
        problem.encode("3 x 4")
    with pytest.raises(ValueError, match="13"):
        problem.decode([5, 13])


def test_gin_configures_the_classes():
    gin.parse_config(["AlgorithmicReverse.max_length = 4", "AlgorithmicReverse.num_train = 9",
                      "AlgorithmicReverse.seed = 3"])
    try:
        problem = AlgorithmicReverse()
    finally:
        gin.clear_config()
    assert (problem.max_length, problem.num_samples["train"], problem.seed) == (4, 9, 3)
    assert AlgorithmicReverse().max_length == 20


def test_generated_data_round_trips_through_dataset(tmp_path):
    problem = AlgorithmicReverse(num_train=40, num_dev=10, num_test=10)
    problem.generate_data(str(tmp_path), str(tmp_path / "tmp"))

    for example in problem.dataset("test", str(tmp_path)):
        inputs = problem.decode_targets(example["inputs"].numpy())
        assert problem.decode_targets(example["targets"].numpy()).split() == inputs.split()[::-1]
