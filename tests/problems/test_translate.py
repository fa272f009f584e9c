"""Translation problems on local data: the fortunes+Apertium corpus and the user's own files."""
import itertools
import os
import shutil

import gin
import pytest

import t2t.problems  # noqa: F401  (registers the built-in problems)
from t2t import registry
from t2t.data import shards
from t2t.data_gen import apertium, fortunes, parallel_text
from t2t.ids import EOS_ID
from t2t.problems.translate import TranslateEnesApertium, TranslateFiles, sentence_split

needs_apertium = pytest.mark.skipif(
    shutil.which("apertium") is None or not os.path.isdir(fortunes.FORTUNES_DIR),
    reason="needs the Debian packages apertium-eng-spa and fortunes (scripts/install.sh)")

SMALL = {"vocab_size": 500, "max_sentences": 600}


def texts(problem, split, data_dir):
    """(source, target) texts of a written split, decoded from the stored ids."""
    return [(problem.source_vocabulary.decode(example["inputs"][:-1]),
             problem.decode_targets(example["targets"]))
            for example in problem.dataset(split, data_dir).as_numpy_iterator()]


@pytest.fixture(scope="module")
def apertium_data(tmp_path_factory):
    """A small translate_enes_apertium dataset: (problem, data_dir, tmp_dir)."""
    root = tmp_path_factory.mktemp("apertium")
    problem = TranslateEnesApertium(**SMALL)
    problem.generate_data(str(root / "data"), str(root / "tmp"))
    return problem, str(root / "data"), str(root / "tmp")


@needs_apertium
def test_apertium_problem_writes_disjoint_splits_and_a_vocabulary(apertium_data):
    problem, data_dir, tmp_dir = apertium_data
    assert registry.problems.get("translate_enes_apertium") is TranslateEnesApertium
    assert problem.has_data(data_dir)
    vocab_files = sorted(name for name in os.listdir(data_dir) if "vocab" in name)
    assert vocab_files == ["translate_enes_apertium-vocab-shared-unigram500.model",
                           "translate_enes_apertium-vocab-shared-unigram500.vocab"]
    assert not [name for name in os.listdir(data_dir) if name.startswith(".")]

    corpus = list(parallel_text.read_tsv(apertium.build_corpus(tmp_dir, 600)))
    splits = {split: texts(problem, split, data_dir) for split in problem.SPLITS}
    # Every pair exactly once, with its exact text.
    assert sorted(itertools.chain(*splits.values())) == sorted(corpus)
    english = {split: {source for source, _ in pairs} for split, pairs in splits.items()}
    assert not english["train"] & english["dev"] and not english["train"] & english["test"]
    assert not english["dev"] & english["test"]
    assert 10 <= len(splits["dev"]) <= 50 and 10 <= len(splits["test"]) <= 50  # ~4.5% of 600
    for source, _ in splits["dev"]:
        assert sentence_split(0.045, 0.045)(source) == "dev"


@needs_apertium
def test_vocabularies_load_in_a_new_process_and_score_bleu(apertium_data):
    _, data_dir, _ = apertium_data
    fresh = TranslateEnesApertium(**SMALL)
    with pytest.raises(RuntimeError, match="load_vocabularies"):
        fresh.info()
    fresh.load_vocabularies(data_dir)
    info = fresh.info()
    assert info.inputs.vocab_size == info.target_vocab_size <= 500

    sentence = "The cat is on the table."
    assert fresh.decode_targets(fresh.encode_inputs(sentence) + [EOS_ID, 7]) == sentence
    _, references = zip(*texts(fresh, "test", data_dir))
    metrics = fresh.decode_metrics(list(references), list(references))
    assert metrics == {"bleu": pytest.approx(100.0), "exact_match": 1.0}
    hypotheses = [" ".join(reference.split()[:-1]) for reference in references]
    assert 0 < fresh.decode_metrics(hypotheses, list(references))["bleu"] < 100


@needs_apertium
def test_other_vocabulary_settings_do_not_reuse_shards(apertium_data):
    _, data_dir, tmp_dir = apertium_data
    with pytest.raises(ValueError, match=r"holds translate_enes_apertium shards .* not the "
                                         r"vocabulary .*unigram400.model"):
        TranslateEnesApertium(vocab_size=400, max_sentences=600).generate_data(data_dir, tmp_dir)
    assert not TranslateEnesApertium(vocab_size=400, max_sentences=600).has_data(data_dir)
    with pytest.raises(FileNotFoundError, match="unigram400.model.*t2t-datagen"):
        TranslateEnesApertium(vocab_size=400).load_vocabularies(data_dir)


@needs_apertium
def test_apertium_keeps_one_line_per_sentence():
    tricky = ["He said: [hello] $5 ^x@home {x} <b> back\\slash.", "Tabs\tand   spaces.",
              "A line.", "Unicode café — “quotes”."]
    spanish = apertium.translate(tricky)
    assert len(spanish) == 4
    assert spanish[2] == "Una línea."
    with pytest.raises(ValueError, match="line breaks"):
        apertium.translate(["one line", "a trailing newline\n"])


def test_missing_tools_name_the_debian_package(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match=r"no fortune files in .*apt-get install fortunes"):
        apertium.build_corpus(str(tmp_path), fortunes_dir=str(tmp_path / "none"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="apertium-eng-spa"):
        apertium.translate(["Hello."])


def test_fortunes_are_split_into_clean_sentences():
    fortune = ("A  _\bbold\nclaim.  \"Is it?\" she asked. ok then.\n"
               "\t\t-- Mark Twain,\n\t\t   \"Pudd'nhead Wilson's Calendar\"\n")
    sentences = fortunes.split_sentences(fortune)
    assert sentences == ["A bold claim.", "\"Is it?\" she asked. ok then."]
    assert [apertium.is_clean_sentence(s) for s in [
        "A bold claim.", "Too short.", "lowercase start is dropped.", "No final punctuation",
        "Mostly symbols: $#@! %^&* ()[] {}."]] == [True, False, False, False, False]


def test_only_the_pinned_fortune_databases_are_read(tmp_path):
    for name in fortunes.DATABASES:
        (tmp_path / name).write_text(f"From {name}.\n%\n", encoding="utf-8")
    (tmp_path / "bofh-excuses").write_text("Another package's fortune.\n%\n", encoding="utf-8")
    sentences = list(fortunes.raw_sentences(str(tmp_path)))
    assert sentences == [f"From {name}." for name in fortunes.DATABASES]

    (tmp_path / "pratchett").unlink()
    (tmp_path / "zippy").unlink()
    with pytest.raises(FileNotFoundError, match=r"2 of the 43 .* missing in .*: pratchett, zippy"):
        fortunes.fortune_files(str(tmp_path))


def test_translate_files_from_tsv_carves_dev_and_test(tmp_path):
    lines = [f"source sentence {i}\tfrase destino {i}" for i in range(400)]
    (tmp_path / "train.tsv").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    gin.clear_config()
    gin.parse_config(f"TranslateFiles.train_tsv = '{tmp_path / 'train.tsv'}'\n"
                     "TranslateFiles.vocab_size = 300\n"
                     "TranslateFiles.carve_fraction = 0.1")
    try:
        problem = registry.problems.get("translate_files")()
    finally:
        gin.clear_config()
    data_dir = str(tmp_path / "data")
    problem.generate_data(data_dir, str(tmp_path / "tmp"))
    splits = {split: texts(problem, split, data_dir) for split in problem.SPLITS}
    assert sum(len(pairs) for pairs in splits.values()) == 400  # the blank line is skipped
    assert 20 <= len(splits["dev"]) <= 60 and 20 <= len(splits["test"]) <= 60
    assert ("source sentence 7", "frase destino 7") in itertools.chain(*splits.values())
    sources = [{source for source, _ in pairs} for pairs in splits.values()]
    assert sum(map(len, sources)) == len(set.union(*sources))


def test_translate_files_with_aligned_files_and_separate_vocabularies(tmp_path):
    for split, count in [("train", 200), ("dev", 7)]:
        (tmp_path / f"{split}.en").write_text("".join(f"the {split} line {i}\n"
                                                      for i in range(count)))
        (tmp_path / f"{split}.de").write_text("".join(f"die {split} Zeile {i}\n"
                                                      for i in range(count)))
    paths = {f"{split}_{side}": str(tmp_path / f"{split}.{language}")
             for split in ("train", "dev") for side, language in [("source", "en"),
                                                                   ("target", "de")]}
    problem = TranslateFiles(**paths, vocab_size=300, shared_vocab=False)
    data_dir = str(tmp_path / "data")
    problem.generate_data(data_dir, str(tmp_path / "tmp"))
    assert texts(problem, "dev", data_dir) == [(f"the dev line {i}", f"die dev Zeile {i}")
                                               for i in range(7)]
    assert len(texts(problem, "train", data_dir)) + len(texts(problem, "test", data_dir)) == 200
    assert {name for name in os.listdir(data_dir) if name.endswith(".model")} == {
        "translate_files-vocab-source-unigram300.model",
        "translate_files-vocab-target-unigram300.model"}
    vocab_file = tmp_path / "data" / "translate_files-vocab-source-unigram300.vocab"
    source_pieces = {line.split("\t")[0] for line in vocab_file.read_text().splitlines()}
    # Trained on train text only: "v" occurs only in the dev text, "l" in both.
    assert "l" in source_pieces and not any("v" in piece for piece in source_pieces)


def test_translate_files_bad_input_writes_nothing(tmp_path):
    (tmp_path / "x.en").write_text("one\ntwo\nthree\n")
    (tmp_path / "x.de").write_text("eins\nzwei\n")
    problem = TranslateFiles(train_source=str(tmp_path / "x.en"),
                             train_target=str(tmp_path / "x.de"), vocab_size=300)
    with pytest.raises(ValueError, match=r"x.en has 3 lines but .*x.de has 2"):
        problem.generate_data(str(tmp_path / "data"), str(tmp_path / "tmp"))
    missing = TranslateFiles(train_tsv=str(tmp_path / "missing.tsv"), vocab_size=300)
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        missing.generate_data(str(tmp_path / "data"), str(tmp_path / "tmp"))
    assert os.listdir(tmp_path / "data") == []


@pytest.mark.parametrize("kwargs, message", [
    ({}, "needs training data: set TranslateFiles.train_tsv"),
    ({"train_source": "a.en"}, "train_source and TranslateFiles.train_target go together"),
    ({"train_tsv": "a.tsv", "dev_target": "d.de"}, "dev_source and TranslateFiles.dev_target"),
    ({"train_tsv": "a.tsv", "train_source": "a.en", "train_target": "a.de"},
     "give TranslateFiles.train_tsv or TranslateFiles.train_source/train_target, not both"),
    ({"train_tsv": "a.tsv", "vocab_type": "wordpiece"},
     "translate_files: vocab_type must be one of .*'unigram', 'bpe'.*got 'wordpiece'"),
])
def test_translate_files_configuration_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TranslateFiles(**kwargs)


def test_a_carved_split_without_sentences_is_an_error(tmp_path):
    (tmp_path / "train.tsv").write_text("only\tone\n")
    problem = TranslateFiles(train_tsv=str(tmp_path / "train.tsv"), vocab_size=300)
    with pytest.raises(ValueError, match="generated no examples for split 'dev'"):
        problem.generate_data(str(tmp_path / "data"), str(tmp_path / "tmp"))
    assert shards.split_is_complete(str(tmp_path / "data"), "translate_files", "train")
