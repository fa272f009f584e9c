"""The character n-gram LM, CTC prefix beam search with LM fusion, its DecodeParams, its use by
DeepSpeech2 and the t2t-char-lm command line."""
import itertools
import json
import math
import os

import numpy as np
import pytest
import tensorflow as tf

from t2t.lm import smoothing
from t2t.speech.transcripts import ALPHABET
from t2t.lm.char_lm import CharNgramLM
from t2t.speech.prefix_search import ctc_prefix_beam_search
from t2t.data import shards
from t2t.speech import transcripts
from t2t.decode.params import parse_decode_hparams
from t2t.speech.ctc_search import CtcDecodeParams
from t2t.layers import weights
from t2t.ids import EOS_ID
from t2t.modality import SymbolModality
from t2t.model import ProblemInfo
from t2t.speech.modality import AudioModality
from t2t.models.deepspeech2 import DeepSpeech2
from t2t.models.transformer import Transformer
from tests.helpers.cli_tools import run_tool
from tests.helpers.synthetic_speech import TRANSCRIPTS, synthetic_batch

SENTENCES = ["the cat sat on the mat", "a dog's life", "the end", "cats and dogs"]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


# -- the language model
@pytest.mark.parametrize("smoothing", ["witten_bell", "kneser_ney"])
@pytest.mark.parametrize("order", [1, 2, 4, 7])
def test_every_distribution_sums_to_one_and_gives_unseen_characters_mass(order, smoothing):
    lm = CharNgramLM.train(SENTENCES, order, smoothing=smoothing, alphabet=ALPHABET)
    for context in ["", "t", "the ca", "zzzz q", "'''", "cats and dogs and cats"]:
        probabilities = [math.exp(lm.log_prob(context, char))
                         for char in transcripts.ALPHABET + CharNgramLM.END]
        assert math.isclose(sum(probabilities), 1.0, rel_tol=1e-12), context
        assert min(probabilities) > 0, context
        np.testing.assert_allclose(np.exp(lm.log_distribution(context)), probabilities)


def test_witten_bell_probabilities_worked_out_by_hand():
    # Order 2 on "ab": unigram counts a, b, END 1 each (3 types) → (1 + 3 · 1/3) / (3 + 3) = 1/3.
    lm = CharNgramLM.train(["ab"], order=2, alphabet="ab")
    assert math.isclose(lm.log_prob("", "a"), math.log(2 / 3))   # after START: (1 + 1/3) / 2
    assert math.isclose(lm.log_prob("a", "b"), math.log(2 / 3))
    assert math.isclose(lm.log_prob("a", "a"), math.log(1 / 6))  # (0 + 1/3) / 2
    assert math.isclose(lm.log_prob("b", CharNgramLM.END), math.log(2 / 3))
    assert math.isclose(lm.sentence_log_prob("ab"), 3 * math.log(2 / 3))
    # Only the last order − 1 characters matter.
    assert lm.log_prob("bbba", "b") == lm.log_prob("a", "b")


def test_kneser_ney_backs_off_to_how_many_contexts_a_character_continues():
    # "a" follows only START, "c" follows START and "c": after "b" (only ever followed by END),
    # Kneser–Ney prefers "c", which continues more contexts, Witten–Bell the more frequent "a".
    sentences = ["ab", "ab", "ab", "cc"]
    kneser_ney = CharNgramLM.train(sentences, order=2, alphabet="abc", smoothing="kneser_ney")
    # Too few bigrams to estimate discounts: 0.5 for every count. Continuation counts a 1, b 1,
    # c 2, END 2 (total 6), all discounted: p(a) = 0.5 / 6 + 4 · 0.5 / 6 · 1/4 = 1/6, p(c) = 1/3.
    # After "b" (END 3 times): 0.5 / 3 of the mass goes to those.
    assert math.isclose(kneser_ney.log_prob("b", "a"), math.log(1 / 6 * 1 / 6))
    assert math.isclose(kneser_ney.log_prob("b", "c"), math.log(1 / 6 * 1 / 3))
    assert math.isclose(kneser_ney.log_prob("b", CharNgramLM.END), math.log(2.5 / 3 + 1 / 18))
    witten_bell = CharNgramLM.train(sentences, order=2, alphabet="abc")
    assert witten_bell.log_prob("b", "a") > witten_bell.log_prob("b", "c")


def test_kneser_ney_discounts_follow_the_counts_of_counts():
    # Counts of counts of one order: N1 = 4, N2 = 2, N3 = 1, N4 = 1 → Y = 0.5, D1 = 1 − 2 · 0.5 ·
    # 2 / 4, D2 = 2 − 3 · 0.5 · 1 / 2, D3 = 3 − 4 · 0.5 · 1 / 1; without N3 and N4: 0.5 each.
    counts = {"x": {"a": 1, "b": 1, "c": 2, "d": 3}, "y": {"a": 1, "b": 1, "c": 2, "d": 4},
              "": {"a": 1, "b": 2}}
    assert smoothing.kneser_ney_discounts(counts) == {1: (0.5, 1.25, 1.0), 0: (0.5, 0.5, 0.5)}


def test_smoothing_is_checked():
    with pytest.raises(ValueError, match="smoothing must be one of .*, got 'good_turing'"):
        CharNgramLM.train(SENTENCES, order=3, smoothing="good_turing", alphabet=ALPHABET)


def test_training_and_queries_reject_characters_outside_the_alphabet():
    with pytest.raises(ValueError, match=r"sentence 2 'Hello' has characters 'H' outside"):
        CharNgramLM.train(["ok", "Hello"], alphabet=ALPHABET)
    with pytest.raises(ValueError, match="no sentences"):
        CharNgramLM.train([], alphabet=ALPHABET)
    lm = CharNgramLM.train(SENTENCES, order=3, alphabet=ALPHABET)
    with pytest.raises(ValueError, match="neither a character of the alphabet"):
        lm.log_prob("the", "X")
    with pytest.raises(ValueError, match="outside the alphabet"):
        lm.log_prob("tH", "e")


@pytest.mark.parametrize("smoothing", ["witten_bell", "kneser_ney"])
def test_save_and_load_round_trip(tmp_path, smoothing):
    lm = CharNgramLM.train(SENTENCES, order=5, smoothing=smoothing, alphabet=ALPHABET)
    path = tmp_path / "lm.json"
    lm.save(str(path))
    assert os.listdir(tmp_path) == ["lm.json"]  # the temporary file was renamed into place
    loaded = CharNgramLM.load(str(path))
    assert (loaded.order, loaded.alphabet, loaded.smoothing) == (5, transcripts.ALPHABET,
                                                                 smoothing)
    for context in ["", "the c", "dogs", "q"]:
        np.testing.assert_array_equal(loaded.log_distribution(context),
                                      lm.log_distribution(context))
    assert json.loads(path.read_text())["version"] == 2


@pytest.mark.parametrize("content, message", [
    ("not json", "is not a character LM written by t2t-char-lm"),
    ('{"a": 1}', "is not a character LM written by t2t-char-lm"),
    ('{"format": "t2t-char-ngram-lm", "version": 99}', "version 99, but this t2t reads version 2"),
    ('{"format": "t2t-char-ngram-lm", "version": 2, "order": 2, "alphabet": "ab", '
     '"smoothing": "witten_bell", "counts": {"c": {"a": 1}}}',
     "malformed character LM: context 'c'"),
    ('{"format": "t2t-char-ngram-lm", "version": 2, "order": 2, "alphabet": "ab", "counts": {}}',
     "malformed character LM: smoothing None is not one of"),
])
def test_load_rejects_other_files_naming_them(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=f"{path}.*{message}"):
        CharNgramLM.load(str(path))
    with pytest.raises(FileNotFoundError, match="no such file"):
        CharNgramLM.load(str(tmp_path / "missing.json"))


# -- prefix beam search
def exhaustive_best(log_probs, fused=lambda labels: 0.0):
    """The best transcript by summing over every alignment: (ids, log p_ctc + fused(ids))."""
    totals = {}
    for path in itertools.product(range(log_probs.shape[1]), repeat=len(log_probs)):
        labels = tuple(c for t, c in enumerate(path) if c != 0 and (t == 0 or path[t - 1] != c))
        log_p = sum(log_probs[t, c] for t, c in enumerate(path))
        totals[labels] = np.logaddexp(totals.get(labels, -np.inf), log_p)
    scores = {labels: total + fused(labels) for labels, total in totals.items()}
    best = max(scores, key=scores.get)
    return list(best), scores[best]


@pytest.mark.parametrize("seed", range(8))
def test_prefix_search_with_a_wide_beam_is_exact(seed):
    rng = np.random.default_rng(seed)
    log_probs = log_softmax(2 * rng.standard_normal([4, 3]))
    ids, score = exhaustive_best(log_probs)
    found = ctc_prefix_beam_search(log_probs, beam_size=100, min_log_prob=-np.inf)
    assert found.ids == ids and math.isclose(found.score, score, abs_tol=1e-9)

    lm = CharNgramLM.train(["ab", "abba", "b"], order=3, alphabet="ab")
    id_to_char = {1: "a", 2: "b"}

    def fused(labels):
        return (0.7 * lm.sentence_log_prob("".join(id_to_char[c] for c in labels))
                + 0.3 * len(labels))

    ids, score = exhaustive_best(log_probs, fused)
    found = ctc_prefix_beam_search(log_probs, 0, id_to_char, lm, lm_weight=0.7, char_bonus=0.3,
                                   beam_size=100, min_log_prob=-np.inf)
    assert found.ids == ids and math.isclose(found.score, score, abs_tol=1e-9)


def test_repeated_characters_need_a_blank_between_them():
    a, blank, certain = 1, 0, np.log(0.999)
    frames = {"a a": [a, a], "a _ a": [a, blank, a], "_ a a _": [blank, a, a, blank]}
    expected = {"a a": [a], "a _ a": [a, a], "_ a a _": [a]}
    for name, path in frames.items():
        log_probs = np.full([len(path), 2], np.log(0.001))
        log_probs[np.arange(len(path)), path] = certain
        assert ctc_prefix_beam_search(log_probs, beam_size=4).ids == expected[name], name


@pytest.mark.parametrize("seed", range(10))
def test_without_lm_finds_the_same_best_path_as_tensorflow(seed):
    rng = np.random.default_rng(seed)
    log_probs = log_softmax(2 * rng.standard_normal([12, 5]))
    blank_last = np.concatenate([log_probs[:, 1:], log_probs[:, :1]], axis=1)
    decoded, _ = tf.nn.ctc_beam_search_decoder(tf.constant(blank_last[:, None], tf.float32), [12],
                                               beam_width=8, top_paths=1)
    tensorflow_ids = (decoded[0].values + 1).numpy().tolist()  # blank last → blank 0
    assert ctc_prefix_beam_search(log_probs, beam_size=8).ids == tensorflow_ids


def test_a_strong_lm_flips_an_acoustically_ambiguous_character():
    # Classes: 0 blank, 1 "a", 2 "c", 3 "t". Frames: c, then "a" or "t" nearly tied (t ahead), t.
    log_probs = np.log(np.array([[0.01, 0.01, 0.97, 0.01],
                                 [0.02, 0.48, 0.01, 0.49],
                                 [0.01, 0.01, 0.01, 0.97]]))
    id_to_char = {1: "a", 2: "c", 3: "t"}
    lm = CharNgramLM.train(["cat"] * 5 + ["ctt"], order=3, alphabet="act")
    assert ctc_prefix_beam_search(log_probs, beam_size=8).ids == [2, 3]  # "ct": the tt merge
    fused = ctc_prefix_beam_search(log_probs, 0, id_to_char, lm, lm_weight=1.0, beam_size=8)
    assert fused.ids == [2, 1, 3]                                          # "cat"
    unweighted = ctc_prefix_beam_search(log_probs, 0, id_to_char, lm, lm_weight=0.0, beam_size=8)
    assert unweighted.ids == [2, 3]


def test_pruning_always_tries_the_most_likely_class():
    log_probs = np.log(np.full([3, 4], 0.25))
    log_probs[1, 2] = np.log(0.26)
    assert ctc_prefix_beam_search(log_probs, beam_size=4, min_log_prob=np.log(0.5)).ids == [2]


def test_search_arguments_are_checked():
    lm = CharNgramLM.train(["ab"], order=2, alphabet="ab")
    log_probs = np.log(np.full([2, 3], 1 / 3))
    with pytest.raises(ValueError, match="lm_weight=1.0 needs an lm"):
        ctc_prefix_beam_search(log_probs, lm_weight=1.0)
    with pytest.raises(ValueError, match="an lm needs id_to_char"):
        ctc_prefix_beam_search(log_probs, lm=lm)
    with pytest.raises(ValueError, match="not characters of the LM's alphabet"):
        ctc_prefix_beam_search(log_probs, 0, {1: "a", 2: "z"}, lm)
    with pytest.raises(ValueError, match="other than the blank"):
        ctc_prefix_beam_search(log_probs, 0, {0: "a", 2: "b"}, lm)


# -- decode params
def test_decode_params_for_lm_fusion():
    params = parse_decode_hparams("beam_size=8,lm_path=/data/lm.json,lm_weight=0.5,lm_bonus=1", CtcDecodeParams)
    assert params == CtcDecodeParams(beam_size=8, lm_path="/data/lm.json", lm_weight=0.5,
                                  lm_bonus=1.0)
    for text, message in [("lm_weight=0.5", "lm_weight=0.5 needs lm_path"),
                          ("lm_bonus=1", "lm_bonus=1.0 needs lm_path"),
                          ("lm_path=lm.json", r"lm_path needs beam search \(beam_size > 1\)"),
                          ("beam_size=4,lm_path=lm.json,lm_weight=-1", "lm_weight=-1.0 must be")]:
        with pytest.raises(ValueError, match=message):
            parse_decode_hparams(text, CtcDecodeParams)


def test_models_without_ctc_reject_lm_fusion():
    with pytest.raises(ValueError, match="unknown decode hparam 'lm_path'"):
        parse_decode_hparams("beam_size=2,lm_path=lm.json", Transformer.DECODE_PARAMS)


# -- DeepSpeech2
AUDIO_INFO = ProblemInfo(AudioModality(80), 30)
TINY = dict(conv_channels=(8,), conv_kernels=((3, 5),), conv_strides=((2, 4),), num_rnn_layers=1,
            rnn_hidden_size=32, fully_connected_size=32, dropout=0.0, time_masks=0, freq_masks=0)


def test_deepspeech2_decodes_with_the_lm_inside_tf_function(tmp_path):
    weights.reset_default_seed(0)
    model = DeepSpeech2(AUDIO_INFO, **TINY)
    lm_path = str(tmp_path / "lm.json")
    CharNgramLM.train(SENTENCES, order=4, alphabet=ALPHABET).save(lm_path)
    inputs = synthetic_batch(TRANSCRIPTS)["inputs"]

    def infer(params):
        return tf.function(lambda x: model.infer({"inputs": x}, params))(inputs)

    fused = infer(CtcDecodeParams(beam_size=8, lm_path=lm_path, lm_weight=0.8, lm_bonus=0.5))
    outputs = fused["outputs"].numpy()
    assert outputs.dtype == np.int32 and outputs.shape[0] == len(TRANSCRIPTS)
    assert fused["scores"].shape == [len(TRANSCRIPTS)] and np.all(np.isfinite(fused["scores"]))
    for row in outputs.tolist():
        end = row.index(EOS_ID)
        assert all(2 <= i < 30 for i in row[:end]) and not any(row[end + 1:]), row

    # Without weight or bonus, the LM changes nothing: the plain prefix search's transcripts.
    plain = infer(CtcDecodeParams(beam_size=8, lm_path=lm_path))
    logits = model({"inputs": inputs}, training=False).numpy()
    logits[..., EOS_ID] = -1e9
    lengths = model.output_lengths({"inputs": inputs}).numpy()
    for row, (utterance, length) in enumerate(zip(log_softmax(logits), lengths)):
        expected = ctc_prefix_beam_search(utterance[:length], beam_size=8)
        decoded = plain["outputs"][row].numpy().tolist()
        assert decoded[:decoded.index(EOS_ID)] == expected.ids
        assert math.isclose(float(plain["scores"][row]), expected.score, rel_tol=1e-4)


def test_deepspeech2_rejects_an_lm_of_another_alphabet(tmp_path):
    weights.reset_default_seed(0)
    model = DeepSpeech2(AUDIO_INFO, **TINY)
    lm_path = str(tmp_path / "ab.json")
    CharNgramLM.train(["ab"], order=2, alphabet="ab").save(lm_path)
    with pytest.raises(ValueError, match="its alphabet 'ab' has 2 characters, but the model "
                                         "has 28"):
        model.infer({"inputs": tf.zeros([1, 20, 80])},
                    CtcDecodeParams(beam_size=2, lm_path=lm_path))


# -- t2t-char-lm
def test_cli_trains_on_train_transcripts_and_text_and_rejects_bad_text(tmp_path):
    data_dir = tmp_path / "data"
    problem = "librispeech_clean100"  # its language-model text: the train shards' transcripts
    for split, text in [("train", "heard in training"), ("dev", "xyzzy"), ("test", "xyzzy")]:
        ids = [transcripts.ALPHABET.index(char) + 2 for char in text]
        shards.write_shards([{"inputs": [0], "targets": ids + [EOS_ID]}], str(data_dir), problem,
                            split, 1)
    text_file = tmp_path / "text.txt"
    text_file.write_text("from the file\n\nheard in training\n")  # a repeat counts once
    output = tmp_path / "lm" / "lm.json"
    result = run_tool("char_lm", f"--problem={problem}", f"--data_dir={data_dir}",
                      f"--text_file={text_file}", "--order=3", "--smoothing=kneser_ney",
                      f"--output={output}")
    assert result.returncode == 0, result.stderr
    assert "3-gram kneser_ney character LM on 2 sentences, 30 characters" in result.stderr
    lm = CharNgramLM.load(str(output))
    assert (lm.order, lm.smoothing) == (3, "kneser_ney")
    contexts = "".join(json.loads(output.read_text())["counts"])
    assert "in" in contexts and "fi" in contexts and "yz" not in contexts  # never dev/test text

    text_file.write_text("fine\nNot normalized\n")
    result = run_tool("char_lm", f"--text_file={text_file}", f"--output={tmp_path / 'x.json'}")
    assert result.returncode != 0
    assert f"{text_file} line 2: characters 'N'" in result.stderr
    assert not (tmp_path / "x.json").exists()


def test_cli_refuses_a_problem_without_language_model_text(tmp_path):
    result = run_tool("char_lm", "--problem=algorithmic_reverse", f"--data_dir={tmp_path}",
                      f"--output={tmp_path / 'lm.json'}")
    assert result.returncode != 0
    assert "has no language_model_text (it is no LanguageModelTextSource" in result.stderr
    assert not (tmp_path / "lm.json").exists()


def test_cli_gin_params_configure_the_problem_and_need_one(tmp_path):
    output = tmp_path / "lm.json"
    result = run_tool("char_lm", "--problem=speech_espeak_en", f"--data_dir={tmp_path}",
                      "--gin_param=SpeechEspeakEn.lm_text_sources = ('fortunes', 'books')",
                      f"--output={output}")
    assert result.returncode != 0
    assert "lm_text_sources=('fortunes', 'books'): expected one or more of" in result.stderr
    text_file = tmp_path / "text.txt"
    text_file.write_text("some text\n")
    result = run_tool("char_lm", f"--text_file={text_file}", f"--output={output}",
                      "--gin_param=SpeechEspeakEn.lm_text_sources = ('wordnet',)")
    assert result.returncode != 0
    assert "--gin_param configures --problem; there is no --problem" in result.stderr
    assert not output.exists()
