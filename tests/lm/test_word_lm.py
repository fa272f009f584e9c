"""The word n-gram LM, its fusion next to the character LM into CTC prefix beam search (alone or
interpolated with a backoff LM), its DecodeParams, its use by DeepSpeech2 and the t2t-word-lm
command line."""
import collections
import json
import math

import numpy as np
import pytest
import tensorflow as tf

from t2t.lm.backoff_lm import BackoffLM
from t2t.speech.transcripts import ALPHABET
from t2t.lm.char_lm import CharNgramLM
from t2t.speech.prefix_search import ctc_prefix_beam_search
from t2t.decode.params import parse_decode_hparams
from t2t.speech.ctc_search import CtcDecodeParams
from t2t.layers import weights
from t2t.ids import EOS_ID
from t2t.models.deepspeech2 import DeepSpeech2
from t2t.speech.ctc_search import lm_characters
from t2t.speech.transcripts import BLANK_ID
from t2t.scripts import word_lm as word_lm_tool
from t2t.lm.word_lm import WordNgramLM
from t2t.lm.mixture import InterpolatedWordLM
from tests.helpers.cli_tools import run_tool
from tests.helpers.synthetic_speech import TRANSCRIPTS, synthetic_batch
from tests.lm.test_char_lm import AUDIO_INFO, TINY, exhaustive_best, log_softmax
from tests.lm.test_char_lm import SENTENCES as CHARACTER_SENTENCES

SENTENCES = ["the cat sat", "the cat ran", "a dog ran", "the dog"]


# -- the language model
@pytest.mark.parametrize("smoothing", ["witten_bell", "kneser_ney"])
@pytest.mark.parametrize("lexicon", [(), ("zebra", "cat", "gnu")])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_every_distribution_sums_to_one_over_the_spelled_words_and_end(order, lexicon, smoothing):
    lm = WordNgramLM.train(SENTENCES, order, lexicon, lexicon_count=0.7, smoothing=smoothing)
    # A spelling model over a finite set of words, seen and unseen ones; "gnu" is only in the
    # lexicon (not spellable), so its probability is the lexicon's share alone.
    words = ["the", "cat", "sat", "ran", "a", "dog", "zebra", "cow"]
    spelling = dict(zip(words, np.random.default_rng(0).dirichlet(np.ones(len(words)))))
    spelling.update({word: 0.0 for word in lexicon if word not in spelling})
    for history in [(), ("the",), ("the", "cat"), ("zebra",), ("a", "cow")]:
        total = sum(math.exp(lm.log_prob(history, word, math.log(p) if p else -math.inf))
                    for word, p in spelling.items())
        total += math.exp(lm.log_prob(history, WordNgramLM.END))
        assert math.isclose(total, 1.0, rel_tol=1e-9), (order, history)
    assert (lm.log_prob((), "zebra") == -math.inf) == (not lexicon)  # unseen, not spellable


def test_witten_bell_probabilities_worked_out_by_hand():
    lm = WordNgramLM.train(["a b", "a c"], order=2)
    # Unigrams: a 2, b 1, c 1, END 2: 6 tokens, 4 types. After "a": b 1, c 1 (2 tokens, 2 types).
    p_spell = 0.5
    unigram_b = (1 + 4 * p_spell) / (6 + 4)
    assert math.isclose(lm.log_prob(["a"], "b", math.log(p_spell)),
                        math.log((1 + 2 * unigram_b) / (2 + 2)))
    unigram_end = 2 / (6 + 4)
    assert math.isclose(lm.log_prob(["a"], WordNgramLM.END), math.log(2 * unigram_end / 4))
    # A history never seen falls back to the unigram.
    assert math.isclose(lm.log_prob(["z"], "b", math.log(p_spell)), math.log(unigram_b))


def test_kneser_ney_probabilities_worked_out_by_hand():
    lm = WordNgramLM.train(["a b", "c b", "a d"], order=2, lexicon=["e"], lexicon_count=0.5,
                           smoothing="kneser_ney")
    # Too few n-grams to estimate discounts: 0.5 for every count. Unigram continuation counts
    # (distinct words before): a 1 (START), c 1, b 2 (a, c), d 1, END 2 (b, d): 7, discounted by
    # 5 · 0.5; with the lexicon's 0.5 for "e" the denominator is 7.5.
    p_spell = 0.25
    unigram_b = (2 - 0.5 + 2.5 * p_spell) / 7.5
    unigram_e = (0.5 + 2.5 * p_spell) / 7.5
    assert math.isclose(lm.log_prob(["z"], "b", math.log(p_spell)), math.log(unigram_b))
    assert math.isclose(lm.log_prob(["z"], "e", math.log(p_spell)), math.log(unigram_e))
    # After "a": b 1, d 1 (full order: plain counts), each discounted by 0.5.
    assert math.isclose(lm.log_prob(["a"], "b", math.log(p_spell)),
                        math.log((1 - 0.5) / 2 + 1 / 2 * unigram_b))
    assert math.isclose(lm.log_prob(["a"], WordNgramLM.END), math.log(1 / 2 * 1.5 / 7.5))
    witten_bell = WordNgramLM.train(["a b", "c b", "a d"], order=2, lexicon=["e"],
                                    lexicon_count=0.5)
    assert witten_bell.log_prob(["a"], "b", -1.0) != lm.log_prob(["a"], "b", -1.0)
    with pytest.raises(ValueError, match="smoothing must be one of .*, got 'katz'"):
        WordNgramLM.train(["a b"], smoothing="katz")


def test_a_lexicon_adds_its_pseudo_count_to_the_unigrams():
    lm = WordNgramLM.train(["a b", "a c"], order=2, lexicon=["b", "d", "e"], lexicon_count=0.5)
    # Unigrams (after a history never seen): 6 tokens, 4 types, and 3 lexicon words of
    # pseudo-count 0.5: denominator 11.5.
    p_spell = 0.25
    assert math.isclose(lm.log_prob(["z"], "b", math.log(p_spell)),
                        math.log((1 + 0.5 + 4 * p_spell) / 11.5))
    assert math.isclose(lm.log_prob(["z"], "c", math.log(p_spell)),
                        math.log((1 + 4 * p_spell) / 11.5))
    # An unseen word the lexicon knows beats an unseen one it does not, spelled as likely.
    assert lm.log_prob(["a"], "d", math.log(p_spell)) > lm.log_prob(["a"], "z", math.log(p_spell))
    with pytest.raises(ValueError, match="lexicon_count -1 is not a finite number >= 0"):
        WordNgramLM.train(["a b"], lexicon=["b"], lexicon_count=-1)
    with pytest.raises(ValueError, match="lexicon entry 'two words' is not a word"):
        WordNgramLM.train(["a b"], lexicon=["two words"], lexicon_count=1)


@pytest.mark.parametrize("smoothing", ["witten_bell", "kneser_ney"])
def test_save_and_load_round_trip(tmp_path, smoothing):
    lm = WordNgramLM.train(SENTENCES, order=3, lexicon=["zebra", "the"], lexicon_count=0.25,
                           smoothing=smoothing)
    path = tmp_path / "words.json"
    lm.save(str(path))
    loaded = WordNgramLM.load(str(path))
    assert loaded.lexicon == {"zebra", "the"} and loaded.lexicon_count == 0.25
    assert loaded.smoothing == smoothing
    for history, word in [((), "the"), (("the",), "cat"), (("the", "cat"), "sat"),
                          (("a", "dog"), "zebra"), (("a", "dog"), "gnu")]:
        assert loaded.log_prob(history, word, -3.0) == lm.log_prob(history, word, -3.0)
    assert [p.name for p in tmp_path.iterdir()] == ["words.json"]  # no temporary file left


def word_lm_file(**fields) -> str:
    """The JSON of an order-2 word LM file of this version with `fields`."""
    return json.dumps({"format": "t2t-word-ngram-lm", "version": 3, "order": 2,
                       "smoothing": "witten_bell", **fields})


@pytest.mark.parametrize("content, message", [
    ("not json", "not a word LM written by t2t-word-lm"),
    (json.dumps({"format": "t2t-char-ngram-lm"}), "no \"format\""),
    (json.dumps({"format": "t2t-word-ngram-lm", "version": 99}), "version 99"),
    (json.dumps({"format": "t2t-word-ngram-lm", "version": 1, "order": 2,
                 "counts": {"a": {"c": 1}}}), "version 1, but this t2t reads version 3; retrain"),
    (word_lm_file(counts={"a b": {"c": 1}}), "history 'a b' is not 1 words"),
    (word_lm_file(counts={"a": {"c": 0}}), "not {word: positive integer}"),
    (word_lm_file(counts={"a": {"c": 1}}), "\"lexicon\" must be a list of words"),
    (word_lm_file(counts={"a": {"c": 1}}, lexicon=["b"], lexicon_count="1"),
     "lexicon_count '1' is not a finite number >= 0"),
    (word_lm_file(counts={"a": {"c": 1}}, lexicon=["</s>"], lexicon_count=1),
     "lexicon entry '</s>' is not a word"),
    (word_lm_file(counts={"a": {"c": 1}}, lexicon=[], lexicon_count=0, smoothing="ney"),
     "smoothing 'ney' is not one of"),
])
def test_load_rejects_other_files_naming_them(tmp_path, content, message):
    path = tmp_path / "lm.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as error:
        WordNgramLM.load(str(path))
    assert str(path) in str(error.value)
    with pytest.raises(FileNotFoundError, match="no such file"):
        WordNgramLM.load(str(tmp_path / "missing.json"))


# -- fusion into the prefix beam search
def fused_lm_log_prob(text: str, lm: CharNgramLM, word_lm: WordNgramLM) -> float:
    """The LM score the search fuses: each word by the word LM, spelled by the character LM (its
    characters and the space or END after it, in their context); a space that ends no word by the
    character LM alone; then the word LM's END."""
    def char_log_prob(start, stop):
        padded = text + CharNgramLM.END
        return sum(lm.log_prob(text[:i], padded[i]) for i in range(start, stop))

    total, words, start = 0.0, [], 0
    for i, char in enumerate(text + CharNgramLM.END):
        if char in (" ", CharNgramLM.END):
            word = text[start:i]
            if word:
                total += word_lm.log_prob(words, word, char_log_prob(start, i + 1))
                words.append(word)
            elif char == " ":
                total += char_log_prob(i, i + 1)
            start = i + 1
    return total + word_lm.log_prob(words, WordNgramLM.END)


def unigram_backoff_lm(sentences: list[str]) -> BackoffLM:
    """A closed-vocabulary unigram model of the words (and END) of `sentences`."""
    words = collections.Counter(word for sentence in sentences for word in sentence.split())
    words[WordNgramLM.END] = len(sentences)
    vocabulary = sorted(words)
    log_probs = np.log([words[word] / sum(words.values()) for word in vocabulary])
    return BackoffLM.from_tables(vocabulary, [(np.arange(len(vocabulary))[:, None], log_probs,
                                               None)])


@pytest.mark.parametrize("with_backoff_lm", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_prefix_search_with_a_word_lm_and_a_wide_beam_is_exact(seed, with_backoff_lm):
    rng = np.random.default_rng(seed)
    log_probs = log_softmax(1.5 * rng.standard_normal([5, 4]))
    sentences = ["ab a", "b ab", "ab", "a b b"]
    lm = CharNgramLM.train(sentences, order=3, alphabet="ab ")
    word_lm = WordNgramLM.train(sentences, order=2)
    if with_backoff_lm:  # knows "ab" and "b" only
        word_lm = InterpolatedWordLM(word_lm, unigram_backoff_lm(["ab b", "b"]), 0.4)
    id_to_char = {1: "a", 2: "b", 3: " "}

    def fused(labels):
        text = "".join(id_to_char[c] for c in labels)
        return 0.8 * fused_lm_log_prob(text, lm, word_lm) + 0.4 * len(labels)

    ids, score = exhaustive_best(log_probs, fused)
    found = ctc_prefix_beam_search(log_probs, 0, id_to_char, lm, lm_weight=0.8, char_bonus=0.4,
                                   beam_size=200, min_log_prob=-np.inf, word_lm=word_lm)
    assert found.ids == ids and math.isclose(found.score, score, abs_tol=1e-9)


def test_the_word_lm_prefers_a_known_word_the_character_lm_misspells():
    # Classes: 0 blank, 1 "a", 2 "c", 3 "t", 4 " ". The acoustics lean to "ct" over "cat".
    log_probs = np.log(np.array([[0.01, 0.01, 0.96, 0.01, 0.01],
                                 [0.02, 0.45, 0.01, 0.51, 0.01],
                                 [0.01, 0.01, 0.01, 0.96, 0.01]]))
    id_to_char = {1: "a", 2: "c", 3: "t", 4: " "}
    # Characters alone barely prefer "cat"; as a word it is the only one ever seen.
    sentences = ["cat", "ct"] + ["tac", "cta", "act", "tc", "atc"]
    lm = CharNgramLM.train(sentences, order=2, alphabet="act ")
    word_lm = WordNgramLM.train(["cat"] * 20, order=2)
    search = dict(id_to_char=id_to_char, lm=lm, lm_weight=1.0, beam_size=8)
    assert ctc_prefix_beam_search(log_probs, 0, **search).ids == [2, 3]
    assert ctc_prefix_beam_search(log_probs, 0, **search, word_lm=word_lm).ids == [2, 1, 3]


def test_a_word_lm_needs_a_character_lm_with_a_space():
    word_lm = WordNgramLM.train(["ab"], order=2)
    log_probs = np.log(np.full([2, 3], 1 / 3))
    with pytest.raises(ValueError, match="a word_lm needs a character lm"):
        ctc_prefix_beam_search(log_probs, word_lm=word_lm)
    lm = CharNgramLM.train(["ab"], order=2, alphabet="ab")
    with pytest.raises(ValueError, match="id_to_char with a space"):
        ctc_prefix_beam_search(log_probs, 0, {1: "a", 2: "b"}, lm, word_lm=word_lm)


def test_decode_params_take_a_word_lm_only_with_a_character_lm():
    params = parse_decode_hparams("beam_size=8,lm_path=/lm/c.json,word_lm_path=/lm/w.json", CtcDecodeParams)
    assert params.word_lm_path == "/lm/w.json"
    with pytest.raises(ValueError, match="word_lm_path=/lm/w.json needs lm_path"):
        parse_decode_hparams("beam_size=8,word_lm_path=/lm/w.json", CtcDecodeParams)


@pytest.mark.parametrize("with_backoff_lm", [False, True])
def test_deepspeech2_decodes_with_both_lms_inside_tf_function(tmp_path, with_backoff_lm):
    weights.reset_default_seed(0)
    model = DeepSpeech2(AUDIO_INFO, **TINY)
    lm_path, word_lm_path = str(tmp_path / "chars.json"), str(tmp_path / "words.json")
    lm = CharNgramLM.train(CHARACTER_SENTENCES, order=4, alphabet=ALPHABET)
    lm.save(lm_path)
    word_lm = WordNgramLM.train(CHARACTER_SENTENCES, order=2)
    word_lm.save(word_lm_path)
    backoff = {}
    if with_backoff_lm:
        backoff_lm = unigram_backoff_lm(CHARACTER_SENTENCES[1:])
        backoff_lm.write_arpa(str(tmp_path / "backoff.arpa"))
        backoff = dict(backoff_lm_path=str(tmp_path / "backoff.arpa"), backoff_lm_weight=0.3)
        word_lm = InterpolatedWordLM(word_lm, backoff_lm, 0.3)
    inputs = synthetic_batch(TRANSCRIPTS)["inputs"]
    params = CtcDecodeParams(beam_size=8, lm_path=lm_path, word_lm_path=word_lm_path,
                          lm_weight=0.8, lm_bonus=0.5, **backoff)
    fused = tf.function(lambda x: model.infer({"inputs": x}, params))(inputs)

    logits = model({"inputs": inputs}, training=False).numpy()
    logits[..., EOS_ID] = -1e9
    lengths = model.output_lengths({"inputs": inputs}).numpy()
    for row, (utterance, length) in enumerate(zip(log_softmax(logits), lengths)):
        expected = ctc_prefix_beam_search(utterance[:length], BLANK_ID, lm_characters(lm), lm,
                                          0.8, 0.5, beam_size=8, word_lm=word_lm)
        decoded = fused["outputs"][row].numpy().tolist()
        assert decoded[:decoded.index(EOS_ID)] == expected.ids
        assert math.isclose(float(fused["scores"][row]), expected.score, rel_tol=1e-4)


# -- t2t-word-lm
def test_cli_trains_on_text_once_per_sentence_and_rejects_bad_text(tmp_path):
    text_file = tmp_path / "text.txt"
    text_file.write_text("the cat sat\n\nthe cat sat\na dog\n")  # a repeat counts once
    output = tmp_path / "lm" / "words.json"
    result = run_tool("word_lm", f"--text_file={text_file}", "--order=2", f"--output={output}")
    assert result.returncode == 0, result.stderr
    assert "2-gram witten_bell word LM on 2 sentences, 5 words (5 distinct)" in result.stderr
    counts = json.loads(output.read_text())["counts"]
    assert counts["the"] == {"cat": 1} and counts["<s>"] == {"the": 1, "a": 1}
    assert WordNgramLM.load(str(output)).order == 2

    word_list = tmp_path / "words.txt"  # like /usr/share/dict/american-english
    word_list.write_text("Zebra\nzebra\n\nZorn\u2019s\ncaf\u00e9\nR2D2\ntwo words\n", encoding="utf-8")
    result = run_tool("word_lm", f"--text_file={text_file}", "--order=2", f"--output={output}",
                      f"--lexicon={word_list}", "--lexicon_count=0.3",
                      "--smoothing=kneser_ney")
    assert result.returncode == 0, result.stderr
    assert "2 words; 3 entries left out" in result.stderr
    lm = WordNgramLM.load(str(output))
    assert lm.lexicon == {"zebra", "zorn's"} and lm.lexicon_count == 0.3
    assert lm.smoothing == "kneser_ney"
    with pytest.raises(FileNotFoundError, match="--lexicon=.*none.txt: no such file"):
        word_lm_tool.read_word_list(str(tmp_path / "none.txt"))
    word_list.write_text("caf\u00e9\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no entry is a word of the alphabet"):
        word_lm_tool.read_word_list(str(word_list))

    text_file.write_text("fine\nNot normalized\n")
    result = run_tool("word_lm", f"--text_file={text_file}", f"--output={tmp_path / 'x.json'}")
    assert result.returncode != 0
    assert f"{text_file} line 2: characters 'N'" in result.stderr
    assert not (tmp_path / "x.json").exists()
