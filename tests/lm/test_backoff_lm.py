"""The backoff word LM (ARPA and CMU Sphinx trie files), its interpolation with the open-vocabulary
word LM, and the decode params that ask for it."""
import gzip
import math
import os
import shutil
import subprocess

import numpy as np
import pytest

from t2t.lm import sphinx_trie
from t2t.lm.backoff_lm import BackoffLM
from t2t.decode.params import parse_decode_hparams
from t2t.speech.ctc_search import CtcDecodeParams
from t2t.lm.word_lm import WordNgramLM
from t2t.lm.mixture import InterpolatedWordLM

LN10 = math.log(10)
EN_US = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"  # Debian's pocketsphinx-en-us

# log10 values, chosen by hand; "dog" has no bigram, "the cat" no backoff.
ARPA = """Some tools write a comment first.
\\data\\
ngram 1=5
ngram 2=3
ngram 3=1

\\1-grams:
-99\t<s>\t-0.5
-0.5\tthe\t-0.25
-0.7\tcat\t-0.1
-0.8\t</s>
-1.2\tdog

\\2-grams:
-0.2\t<s> the\t-0.3
-0.4\tthe cat
-0.6\tcat </s>

\\3-grams:
-0.1\t<s> the cat

\\end\\
"""


@pytest.fixture
def arpa_path(tmp_path):
    path = tmp_path / "tiny.arpa"
    path.write_text(ARPA)
    return str(path)


def log10_prob(lm, history, word):
    value = lm.log_prob(history, word)
    return None if value is None else value / LN10


def test_backing_off_follows_the_arpa_definition(arpa_path):
    lm = BackoffLM.load(arpa_path)
    assert lm.order == 3
    expected = {
        (("<s>", "the"), "cat"): -0.1,            # listed trigram
        (("<s>", "the"), "dog"): -0.3 - 0.25 - 1.2,  # B(<s> the) B(the) P(dog)
        (("the", "cat"), "</s>"): -0.6,           # "the cat" has no backoff: B = 1
        (("dog", "cat"), "</s>"): -0.6,           # "dog cat" is not listed: B = 1
        (("cat",), "dog"): -0.1 - 1.2,
        ((), "the"): -0.2,                        # a sentence's first word: p(the | <s>)
        (("<s>", "<s>"), "the"): -0.2,            # START padding counts once
        (("zebra", "the"), "cat"): -0.4,          # the history stops at an unknown word
    }
    for (history, word), value in expected.items():
        assert log10_prob(lm, history, word) == pytest.approx(value), (history, word)
    assert lm.log_prob(("the",), "zebra") is None


def test_writing_and_reading_back_keeps_every_probability(arpa_path, tmp_path):
    lm = BackoffLM.load(arpa_path)
    lm.write_arpa(str(tmp_path / "again.arpa"))
    zipped = tmp_path / "again.arpa.gz"
    with gzip.open(zipped, "wt") as file:
        file.write((tmp_path / "again.arpa").read_text())
    for path in (str(tmp_path / "again.arpa"), str(zipped)):
        again = BackoffLM.load(path)
        for history in [(), ("<s>",), ("the",), ("<s>", "the"), ("cat", "dog"), ("the", "cat")]:
            for word in ["the", "cat", "dog", "</s>", "zebra"]:
                a, b = lm.log_prob(history, word), again.log_prob(history, word)
                assert (a is None and b is None) or a == pytest.approx(b, abs=1e-5)


@pytest.mark.parametrize("old, new, message", [
    ("\\data\\", "\\dada\\", r"tiny.arpa:2\d: no \\data\\ header"),
    ("ngram 2=3", "ngram 2=4", r"tiny.arpa:19: the header promises 4 2-grams, the section has 3"),
    ("-0.4\tthe cat", "-0.4x\tthe cat", r"tiny.arpa:16: '-0.4x' is not a number"),
    ("-0.6\tcat </s>", "-0.6\tcat mouse", r"tiny.arpa:17: 'mouse' has no unigram"),
    ("-0.1\t<s> the cat", "-0.1\t<s> the cat\t-0.2", r"tiny.arpa:20: expected a log10 "
                                                     r"probability, 3 word\(s\), got"),
    ("-1.2\tdog", "-1.2\tthe", r"tiny.arpa:12: the unigram 'the' is listed twice"),
    ("\\end\\", "", r"tiny.arpa:2\d: expected \\end\\ after the 3-grams, got None"),
    ("\\2-grams:", "\\4-grams:", r"tiny.arpa:14: expected \\2-grams:, got '\\\\4-grams:'"),
])
def test_malformed_arpa_files_are_errors_naming_the_line(tmp_path, old, new, message):
    path = tmp_path / "tiny.arpa"
    path.write_text(ARPA.replace(old, new))
    with pytest.raises(ValueError, match=message):
        BackoffLM.load(str(path))


def test_missing_and_binary_files_are_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="backoff LM .*nothing.arpa: no such file"):
        BackoffLM.load(str(tmp_path / "nothing.arpa"))
    (tmp_path / "noise.bin").write_bytes(bytes(range(128, 256)))
    with pytest.raises(ValueError, match="backoff LM .*noise.bin: neither ARPA text nor a CMU "
                                         "Sphinx trie binary"):
        BackoffLM.load(str(tmp_path / "noise.bin"))


# -- CMU Sphinx's trie binary
@pytest.mark.skipif(shutil.which("sphinx_lm_convert") is None,
                    reason="needs sphinxbase-utils (scripts/install.sh installs it)")
def test_a_sphinx_trie_reads_back_the_arpa_it_was_built_from(arpa_path, tmp_path):
    binary = str(tmp_path / "tiny.lm.bin")
    subprocess.run(["sphinx_lm_convert", "-i", arpa_path, "-o", binary], check=True,
                   capture_output=True)
    assert sphinx_trie.is_sphinx_trie(binary) and not sphinx_trie.is_sphinx_trie(arpa_path)
    arpa, trie = BackoffLM.load(arpa_path), BackoffLM.load(binary)
    assert trie.order == 3 and sorted(trie.vocabulary) == sorted(arpa.vocabulary)
    for history in [(), ("the",), ("<s>", "the"), ("cat",), ("dog", "the"), ("the", "cat")]:
        for word in ["the", "cat", "dog", "</s>"]:
            # Sphinx stores 16-bit quantized values in log base 1.0001.
            assert trie.log_prob(history, word) == pytest.approx(arpa.log_prob(history, word),
                                                                 abs=1e-3), (history, word)

    data = open(binary, "rb").read()
    for size, what in [(len(data) // 2, "quantization tables and unigrams"),
                       (len(data) - 8, "vocabulary")]:
        (tmp_path / "cut.lm.bin").write_bytes(data[:size])
        with pytest.raises(ValueError, match=f"CMU Sphinx trie LM .*cut.lm.bin: cut short: its "
                                             f"{what} end at byte"):
            BackoffLM.load(str(tmp_path / "cut.lm.bin"))


@pytest.mark.skipif(not os.path.exists(EN_US),
                    reason="needs pocketsphinx-en-us (scripts/install.sh installs it)")
def test_debians_us_english_model_reads_like_sphinxbase_scores_it():
    lm = BackoffLM.load(EN_US)
    assert lm.order == 3 and len(lm.vocabulary) == 72547
    # Natural logs from sphinxbase's own ngram_ng_score on this file (log base 1.0001).
    assert lm.log_prob((), "the") == pytest.approx(-2.92175, abs=1e-4)
    assert lm.log_prob(("<s>", "the"), "cat") == pytest.approx(-7.47253, abs=1e-4)
    assert lm.log_prob(("the", "cat"), "sat") == pytest.approx(-8.60547, abs=1e-4)
    assert lm.log_prob(("it's", "your"), "turn") == pytest.approx(-2.69647, abs=1e-4)
    assert lm.log_prob(("it's", "you're"), "turn") == pytest.approx(-10.92925, abs=1e-4)
    assert lm.log_prob(("the",), "zzqx") is None


# -- the interpolation
def normalized_bigram() -> BackoffLM:
    """p(· | h) sums to 1 over a, b, </s> for every h."""
    vocabulary = ["<s>", "a", "b", "</s>"]
    unigrams = np.log([1e-99, 0.5, 0.3, 0.2])
    backoffs = np.log([0.1 / 0.5, 0.4 / 0.7, 1.0, 1.0])
    bigrams = np.array([[0, 1], [1, 2]])  # "<s> a" 0.9, "a b" 0.6
    return BackoffLM.from_tables(vocabulary, [(np.arange(4)[:, None], unigrams, backoffs),
                                              (bigrams, np.log([0.9, 0.6]), None)])


def test_the_mixture_sums_to_one_and_leaves_unknown_words_to_the_open_lm():
    backoff = normalized_bigram()
    for history in [(), ("a",), ("b",), ("c",)]:
        assert sum(math.exp(backoff.log_prob(history, w)) for w in "ab") + math.exp(
            backoff.log_prob(history, "</s>")) == pytest.approx(1.0)
    open_lm = WordNgramLM.train(["a b", "c a", "a"], order=2, smoothing="kneser_ney")
    mixture = InterpolatedWordLM(open_lm, backoff, 0.3)
    words = ["a", "b", "c", "dd"]
    spelling = dict(zip(words, np.log(np.random.default_rng(0).dirichlet(np.ones(4)))))
    for history in [(), ("a",), ("c",), ("dd", "b")]:
        total = sum(math.exp(mixture.log_prob(history, w, spelling[w])) for w in words)
        total += math.exp(mixture.log_prob(history, WordNgramLM.END))
        assert total == pytest.approx(1.0), history
        assert mixture.log_prob(history, "c", spelling["c"]) == pytest.approx(
            math.log(0.7) + open_lm.log_prob(history, "c", spelling["c"]))
    assert mixture.log_prob(("a",), "b", spelling["b"]) == pytest.approx(math.log(
        0.7 * math.exp(open_lm.log_prob(("a",), "b", spelling["b"])) + 0.3 * 0.6))
    for weight in (0.0, 1.0):
        with pytest.raises(ValueError, match=f"weight {weight} must be between 0 and 1"):
            InterpolatedWordLM(open_lm, backoff, weight)


@pytest.mark.parametrize("text, message", [
    ("backoff_lm_path=/lm/b.arpa,backoff_lm_weight=0.5",
     "backoff_lm_path needs word_lm_path"),
    ("word_lm_path=/lm/w.json,backoff_lm_path=/lm/b.arpa", r"backoff_lm_weight=0.0 must be "
                                                           r"between 0 and 1"),
    ("word_lm_path=/lm/w.json,backoff_lm_path=/lm/b.arpa,backoff_lm_weight=1",
     "backoff_lm_weight=1.0 must be between 0 and 1"),
    ("word_lm_path=/lm/w.json,backoff_lm_weight=0.5", "backoff_lm_weight=0.5 needs "
                                                      "backoff_lm_path"),
])
def test_decode_params_check_the_backoff_lm(text, message):
    with pytest.raises(ValueError, match=message):
        parse_decode_hparams("beam_size=8,lm_path=/lm/c.json," + text, CtcDecodeParams)
    params = parse_decode_hparams("beam_size=8,lm_path=/lm/c.json,word_lm_path=/lm/w.json,"
                                  "backoff_lm_path=/lm/b.arpa,backoff_lm_weight=0.5", CtcDecodeParams)
    assert params.backoff_lm_path == "/lm/b.arpa" and params.backoff_lm_weight == 0.5
