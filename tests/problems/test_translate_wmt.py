"""WMT problems on TFDS builders, with TFDS mocked (offline): tfds.testing.mock_data serves each
split's examples, here sentences that say which split and language they come from."""
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import t2t.problems  # noqa: F401  (registers the built-in problems)
from t2t import registry
from t2t.problems.translate_wmt import TfdsTranslateProblem

NUM_EXAMPLES = 12


def sentence(split, language, index):
    return f"  {split} {language}   sentence {index} "


def fake_split(builder, split, **unused_kwargs):
    """Stands in for the TFDS builder's data: {language: text} examples of `split`."""
    languages = builder.info.supervised_keys
    return tf.data.Dataset.from_tensor_slices(
        {language: [sentence(split, language, i) for i in range(NUM_EXAMPLES)]
         for language in languages})


@pytest.mark.parametrize("name, tfds_name, source, target", [
    ("translate_ende_wmt14", "wmt14_translate/de-en", "en", "de"),
    ("translate_ende_wmt_t2t", "wmt_t2t_translate/de-en", "en", "de"),
    ("translate_enfr_wmt14", "wmt14_translate/fr-en", "en", "fr"),
])
def test_wmt_problem_reads_tfds_splits_in_the_right_direction(tmp_path, name, tfds_name, source,
                                                              target):
    problem = registry.problems.get(name)(vocab_size=300, tfds_data_dir=str(tmp_path / "tfds"))
    assert isinstance(problem, TfdsTranslateProblem) and problem.tfds_name == tfds_name
    assert registry.problems.get(name)().vocab_size == 32000
    data_dir = str(tmp_path / "data")
    with tfds.testing.mock_data(as_dataset_fn=fake_split):
        problem.generate_data(data_dir, str(tmp_path / "tmp"))

    assert problem.has_data(data_dir)
    info = problem.info()
    assert info.inputs.vocab_size == info.target_vocab_size <= 300
    for split, tfds_split in [("train", "train"), ("dev", "validation"), ("test", "test")]:
        decoded = sorted((problem.source_vocabulary.decode(example["inputs"][:-1]),
                          problem.decode_targets(example["targets"]))
                         for example in problem.dataset(split, data_dir).as_numpy_iterator())
        assert decoded == sorted((sentence(tfds_split, source, i).strip(),
                                  sentence(tfds_split, target, i).strip())
                                 for i in range(NUM_EXAMPLES))


def test_mocked_random_data_also_builds(tmp_path):
    problem = registry.problems.get("translate_enfr_wmt14")(vocab_size=300,
                                                            tfds_data_dir=str(tmp_path / "tfds"))
    with tfds.testing.mock_data(num_examples=5):
        problem.generate_data(str(tmp_path / "data"), str(tmp_path / "tmp"))
    assert len(list(problem.dataset("test", str(tmp_path / "data")))) == 5
