"""Speech problems: transcript normalization, the espeak corpus, LibriSpeech via TFDS mock data."""
import pathlib

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import t2t.problems  # noqa: F401
from t2t import registry
from t2t.data_gen import audio, espeak, wordnet
from t2t.ids import EOS_ID
from t2t.model import ProblemInfo
from t2t.problems.speech import (
    VOCAB_SIZE,
    LibrispeechClean100,
    SpeechEspeakEn,
    sentence_split,
    unzigzag,
    zigzag,
)
from t2t.speech import transcripts
from t2t.speech.modality import AudioModality

SMALL_CORPUS = dict(num_train_sentences=12, num_dev_sentences=4, num_test_sentences=4,
                    train_utterances_per_sentence=2)


@pytest.mark.parametrize("raw, expected", [
    ("A long-forgotten loved one will appear soon.", "a long forgotten loved one will appear soon"),
    ("'Tis the season, don't you think?", "tis the season don't you think"),
    ("It\u2019s “FINE”", "it's fine"),
    ("rock 'n' roll", "rock n roll"),
])
def test_normalization_keeps_letters_space_and_apostrophe(raw, expected):
    assert transcripts.normalize(raw) == (expected, "")
    assert set(expected) <= set(transcripts.ALPHABET)


@pytest.mark.parametrize("raw, reason", [
    ("In 1984 we met", "digits"), ("Fish & chips", "symbols"), ("Café au lait", "non-ascii"),
    ("...", "empty"),
])
def test_normalization_rejects_what_it_cannot_spell(raw, reason):
    assert transcripts.normalize(raw) == (None, reason)


def test_distinct_normalized_keeps_first_seen_order_and_drops_rejects():
    raw = ["The cat.", "In 1984 we met", "the CAT", "A dog!", "..."]
    assert transcripts.distinct_normalized(raw) == ["the cat", "a dog"]


def test_character_codec_round_trips_and_rejects_digits():
    problem = SpeechEspeakEn()
    ids = problem.encode("Don't panic!")
    assert min(ids) >= 2 and max(ids) < VOCAB_SIZE == 30
    assert problem.decode_targets(ids + [EOS_ID, 0, 0]) == "don't panic"
    with pytest.raises(ValueError, match="digits"):
        problem.encode("42 is the answer")


def test_zigzag_round_trips_int16():
    samples = np.array([0, 1, -1, 300, -300, 32767, -32768], np.int16)
    codes = zigzag(samples)
    assert codes.min() >= 0 and list(codes[:3]) == [0, 2, 1]
    np.testing.assert_array_equal(unzigzag(tf.constant(codes)).numpy(), samples)


def test_dev_and_test_are_each_spoken_by_a_voice_training_never_hears():
    problem = SpeechEspeakEn(**SMALL_CORPUS)
    train, dev, test = (problem.requests(split) for split in ("train", "dev", "test"))
    assert len(train) == 24 and len(dev) == 4 and len(test) == 4
    train_voices = {request.voice for request in train}
    assert {request.voice for request in dev} == {"en-us-nyc"}
    assert {request.voice for request in test} == {"en-gb-x-gbclan"}
    assert not train_voices & {"en-us-nyc", "en-gb-x-gbclan"} and len(train_voices) > 1
    sentences = [{request.text for request in split} for split in (train, dev, test)]
    assert not (sentences[0] & sentences[1] or sentences[0] & sentences[2]
                or sentences[1] & sentences[2])
    with pytest.raises(ValueError, match="test_voice 'en-us' must not be one of the train_voices"):
        SpeechEspeakEn(test_voice="en-us")
    with pytest.raises(ValueError, match="dev_voice 'en-gb' must not be one of the train_voices"):
        SpeechEspeakEn(dev_voice="en-gb")
    with pytest.raises(ValueError, match="dev_voice and test_voice are both 'en-gb-x-gbclan'"):
        SpeechEspeakEn(dev_voice="en-gb-x-gbclan")


def test_every_train_voice_speaks_each_sentence_in_a_spread_out_order():
    problem = SpeechEspeakEn(num_train_sentences=50, train_utterances_per_sentence=6)
    train = problem.requests("train")
    assert len(train) == 300
    voices_of_sentence = {}
    for request in train:
        voices_of_sentence.setdefault(request.text, []).append(request.voice)
    assert len(voices_of_sentence) == 50
    assert all(sorted(voices) == sorted(problem.train_voices)
               for voices in voices_of_sentence.values())
    # In sentence order 250 neighbours would share a sentence; shuffled, ~5 are expected.
    neighbours_alike = sum(first.text == second.text for first, second in zip(train, train[1:]))
    assert neighbours_alike < 20
    assert problem.requests("train") == train  # the same order on every machine


def test_train_variants_change_training_voices_only(tmp_path):
    problem = SpeechEspeakEn(**SMALL_CORPUS, train_variants=("", "f3"))
    train_voices = {request.voice for request in problem.requests("train")}
    assert any(voice.endswith("+f3") for voice in train_voices)
    assert any("+" not in voice for voice in train_voices)
    assert {request.voice for request in problem.requests("dev")} == {"en-us-nyc"}
    unchanged = SpeechEspeakEn(**SMALL_CORPUS).requests("train")
    assert [(r.text, r.voice.partition("+")[0], r.words_per_minute)
            for r in problem.requests("train")] == [
        (r.text, r.voice, r.words_per_minute) for r in unchanged]
    with pytest.raises(ValueError, match="no voice variant 'f33' \\(voice 'en-us\\+f33'\\)"):
        espeak.synthesize_all([espeak.Utterance("hello", "en-us+f33", 175)], str(tmp_path))
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValueError, match="train_variants is empty"):
        SpeechEspeakEn(train_variants=())


def test_zero_sentences_means_the_whole_split_and_negative_counts_are_errors():
    everything = SpeechEspeakEn(num_dev_sentences=0).sentences("dev")
    assert len(everything) > 500
    assert SpeechEspeakEn(num_dev_sentences=500).sentences("dev") == everything[:500]
    with pytest.raises(ValueError, match="num_test_sentences=-1: sentence counts must be >= 0"):
        SpeechEspeakEn(num_test_sentences=-1)


@pytest.fixture(scope="module")
def espeak_data(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("espeak")
    problem = SpeechEspeakEn(**SMALL_CORPUS)
    problem.generate_data(str(data_dir), str(data_dir / "tmp"))
    return problem, str(data_dir)


def test_espeak_corpus_builds_shards_and_a_dataset_of_features(espeak_data):
    problem, data_dir = espeak_data
    assert problem.has_data(data_dir)
    dataset = problem.dataset("train", data_dir)
    assert dataset.element_spec["inputs"] == tf.TensorSpec([None, 80], tf.float32)
    examples = list(dataset.as_numpy_iterator())
    assert len(examples) == 24
    for example in examples:
        frames = example["inputs"].shape[0]
        text = problem.decode_targets(example["targets"])
        assert example["targets"][-1] == EOS_ID
        assert 50 < frames < 1000 and set(text) <= set(transcripts.ALPHABET)
        assert frames > 2 * len(text)  # enough frames for CTC at time stride 2
        np.testing.assert_allclose(example["inputs"].mean(axis=0), 0.0, atol=1e-3)
    wavs = list((pathlib.Path(data_dir) / "tmp" / "espeak_wavs").iterdir())
    assert len(wavs) == 32 and all(path.suffix == ".wav" for path in wavs)  # no temporaries left


def test_encode_inputs_reads_a_wav_into_the_same_features(espeak_data, tmp_path):
    problem, data_dir = espeak_data
    request = problem.requests("test")[0]
    path = espeak.synthesize_all([request], str(tmp_path))[0]
    features = problem.encode_inputs(path)
    assert features.dtype == np.float32 and features.shape[1] == 80
    stored = next(problem.dataset("test", data_dir).as_numpy_iterator())
    assert problem.decode_targets(stored["targets"]) == request.text
    np.testing.assert_allclose(features, stored["inputs"], atol=1e-4)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF")
    with pytest.raises(audio.WavError, match="corrupt.wav: not a wav file"):
        problem.encode_inputs(str(corrupt))


def test_decode_metrics_are_word_and_character_error_rates():
    problem = SpeechEspeakEn()
    metrics = problem.decode_metrics(["the cat sat", "hello"], ["the cat sat down", "hello"])
    assert metrics == {"wer": pytest.approx(1 / 5), "cer": pytest.approx(5 / 21)}


def test_librispeech_from_tfds_mock_data(tmp_path):
    problem = registry.problems.get("librispeech_clean100")()
    assert isinstance(problem, LibrispeechClean100)
    assert problem.info() == ProblemInfo(AudioModality(80), 30)
    with tfds.testing.mock_data(num_examples=5):
        problem.generate_data(str(tmp_path), str(tmp_path / "tmp"))
    examples = list(problem.dataset("train", str(tmp_path)).as_numpy_iterator())
    assert len(examples) == 5
    for example in examples:
        assert example["inputs"].shape == (1, 80)  # mock clips are a few samples long
        assert example["targets"][-1] == EOS_ID
        assert problem.decode_targets(example["targets"]).strip()
    assert registry.problems.get("librispeech")().TFDS_SPLITS["train"].count("+") == 2


def test_language_model_text_is_train_text_beyond_the_spoken_and_never_holds_a_held_out_sentence():
    problem = SpeechEspeakEn()
    text = list(problem.language_model_text(data_dir="unused"))
    spoken = set(problem.sentences("train"))
    assert len(text) > 2 * len(spoken)
    # Spoken train sentences are left out of it only when they hold a dev or test sentence.
    assert len(spoken - set(text)) < 0.01 * len(spoken)
    held_out = SpeechEspeakEn(num_dev_sentences=0, num_test_sentences=0)
    held_out = held_out.sentences("dev") + held_out.sentences("test")
    padded = "\n".join(f" {sentence} " for sentence in text)
    assert not [sentence for sentence in held_out if f" {sentence} " in padded]


WORDNET_HEADER = "  1 This software and database is being provided to you, the LICENSEE\n"


def test_wordnet_examples_are_the_quoted_parts_of_glosses(tmp_path):
    for name in wordnet.DATA_FILES:
        (tmp_path / name).write_text(
            WORDNET_HEADER + f'00001740 03 n 01 {name} 0 000 | a definition; "an example from '
            f'{name}"; "another one"\n00002000 03 n 01 quiet 0 000 | no example here\n',
            encoding="utf-8")
    examples = list(wordnet.example_sentences(str(tmp_path)))
    assert examples == [text for name in wordnet.DATA_FILES
                        for text in (f"an example from {name}", "another one")]

    (tmp_path / "data.adv").unlink()
    with pytest.raises(FileNotFoundError,
                       match=r"WordNet's data.adv missing in .*: apt-get install wordnet-base"):
        list(wordnet.example_sentences(str(tmp_path)))


def test_wordnet_language_model_text_adds_examples_but_never_a_held_out_sentence(monkeypatch):
    dev_sentence = SpeechEspeakEn().sentences("dev")[0]
    train_examples = [text for text in (f"the {word} sat on the mat" for word in
                                        ("cat", "dog", "hen", "owl", "fox", "cow", "pig"))
                      if sentence_split(5, 5)(text) == "train"][:2]
    raw = [f"{train_examples[0].capitalize()}!", f"As one said, {dev_sentence}", dev_sentence,
           "digits 1984 are not spelled", train_examples[1], train_examples[0]]
    monkeypatch.setattr(wordnet, "example_sentences", lambda: iter(raw))

    assert list(SpeechEspeakEn(lm_text_sources=("wordnet",)).language_model_text("unused")) == (
        train_examples)
    fortunes_text = list(SpeechEspeakEn().language_model_text("unused"))
    both = list(SpeechEspeakEn(lm_text_sources=("fortunes", "wordnet")).language_model_text(
        "unused"))
    assert both == fortunes_text + train_examples
    with pytest.raises(ValueError, match=r"lm_text_sources=\('fortunes', 'books'\): expected "
                                         r"one or more of \('fortunes', 'wordnet'\)"):
        SpeechEspeakEn(lm_text_sources=("fortunes", "books"))
    with pytest.raises(ValueError, match=r"lm_text_sources=\(\): expected"):
        SpeechEspeakEn(lm_text_sources=())
