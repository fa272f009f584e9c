"""Vowel swaps in espeak-ng phonemes, phonemize, and speaking an utterance from its phonemes."""
import hashlib
import random
import subprocess

import numpy as np
import pytest

from t2t.data_gen import audio, espeak, vowel_swaps
from t2t.problems.speech import SpeechEspeakEn

TRAIN_VOICES = SpeechEspeakEn().train_voices


def test_rate_zero_keeps_everything_and_rate_one_moves_every_vowel_to_a_neighbour():
    phonemes = "h|i: h|'a|d g|0|t D|@ b|'aa|T"
    assert vowel_swaps.swap_vowels(phonemes, 0.0, random.Random(0)) == phonemes
    swapped = vowel_swaps.swap_vowels(phonemes, 1.0, random.Random(0))
    words, swapped_words = phonemes.split(" "), swapped.split(" ")
    assert len(swapped_words) == len(words)
    for word, swapped_word in zip(words, swapped_words):
        for before, after in zip(word.split("|"), swapped_word.split("|"), strict=True):
            vowel = before.lstrip("',")
            if vowel in vowel_swaps.NEIGHBOURS:
                stress = before[:len(before) - len(vowel)]
                assert after.startswith(stress) and after.removeprefix(stress) in (
                    vowel_swaps.NEIGHBOURS[vowel]), (before, after)
            else:
                assert after == before


def test_swaps_follow_the_rate_and_the_seed():
    phonemes = " ".join(["h|'a|d b|E|d"] * 500)  # 1,000 vowels
    swapped = vowel_swaps.swap_vowels(phonemes, 0.2, random.Random(7))
    changed = sum(before != after for before, after in zip(phonemes.split(), swapped.split()))
    assert 150 <= changed <= 250  # words with one vowel each: 200 expected
    assert swapped == vowel_swaps.swap_vowels(phonemes, 0.2, random.Random(7))
    assert swapped != vowel_swaps.swap_vowels(phonemes, 0.2, random.Random(8))
    with pytest.raises(ValueError, match="vowel swap rate 1.5 must be between 0 and 1"):
        vowel_swaps.swap_vowels(phonemes, 1.5, random.Random(0))


def test_every_neighbour_is_itself_a_swappable_vowel_and_not_the_vowel_it_replaces():
    for vowel, neighbours in vowel_swaps.NEIGHBOURS.items():
        assert neighbours and vowel not in neighbours
        assert set(neighbours) <= set(vowel_swaps.NEIGHBOURS), vowel


@pytest.mark.parametrize("voice", TRAIN_VOICES)
def test_every_train_voice_speaks_each_vowel(voice):
    """espeak-ng drops or misreads a mnemonic its voice lacks: "[[b|Z9|d]]" reads back as "b|Z"."""
    vowels = list(vowel_swaps.NEIGHBOURS)
    spoken = " ".join(f"b|{vowel}|d" for vowel in vowels)
    read_back = subprocess.run(["espeak-ng", "-q", "-x", "--sep=|", "-v", voice, f"[[{spoken}]]"],
                               capture_output=True, text=True, check=True).stdout.split()
    assert len(read_back) == len(vowels)
    for vowel, word in zip(vowels, read_back):
        first, middle, last = word.split("|")
        assert (first, last) == ("b", "d") and middle.lstrip("',") in vowel_swaps.NEIGHBOURS, (
            vowel, word)
        if voice in ("en-us", "en-gb"):
            assert middle.lstrip("',") == vowel


def test_phonemize_gives_one_line_per_text_and_rejects_line_breaks():
    texts = ["the cat sat", "he had got the bath", "i can't"]
    lines = espeak.phonemize(texts, "en-gb")
    assert lines[:2] == ["D|@ k|'a|t s|'a|t", "h|i: h|a|d g|0|t D|@ b|'aa|T"]
    assert len(lines) == 3 and "|" in lines[2]
    with pytest.raises(ValueError, match="cannot phonemize 'one\\\\ntwo': a text must be one line"):
        espeak.phonemize(["one\ntwo"], "en-gb")


def test_an_utterance_is_spoken_from_its_phonemes_and_cached_apart(tmp_path):
    text = "he had got the bath"
    plain = espeak.Utterance(text, "en-gb", 175)
    # The cache name of an utterance without phonemes is what it was before phonemes existed.
    assert plain.file_name() == hashlib.sha256(
        f"en-gb|175|{text}".encode()).hexdigest()[:24] + ".wav"
    phonemes = espeak.phonemize([text], "en-gb")[0]
    same = espeak.Utterance(text, "en-gb", 175, phonemes=phonemes)
    swapped = espeak.Utterance(text, "en-gb", 175, phonemes=phonemes.replace("h|a|d", "h|E|d"))
    assert len({plain.file_name(), same.file_name(), swapped.file_name()}) == 3
    paths = espeak.synthesize_all([plain, same, swapped], str(tmp_path))
    plain_audio, same_audio, swapped_audio = (audio.read_wav(path) for path in paths)
    np.testing.assert_allclose(len(same_audio), len(plain_audio), rtol=0.03)
    assert not np.array_equal(same_audio, swapped_audio)


def test_problem_swaps_vowels_of_train_utterances_only():
    corpus = dict(num_train_sentences=30, num_dev_sentences=4, num_test_sentences=4,
                  train_utterances_per_sentence=2)
    plain = SpeechEspeakEn(**corpus)
    swapping = SpeechEspeakEn(**corpus, train_vowel_swap_rate=0.3)
    train = swapping.requests("train")
    assert [(r.text, r.voice, r.words_per_minute) for r in train] == [
        (r.text, r.voice, r.words_per_minute) for r in plain.requests("train")]
    with_phonemes = [request for request in train if request.phonemes]
    assert 0.5 * len(train) < len(with_phonemes) < len(train)  # ~12 vowels: few escape at 0.3
    for request in with_phonemes[:5]:
        original = espeak.phonemize([request.text], request.voice)[0]
        assert request.phonemes != original
        assert len(request.phonemes.split("|")) == len(original.split("|"))
    assert swapping.requests("train") == train
    for split in ("dev", "test"):
        assert swapping.requests(split) == plain.requests(split)
    with pytest.raises(ValueError, match="train_vowel_swap_rate=-0.1 must be between 0 and 1"):
        SpeechEspeakEn(train_vowel_swap_rate=-0.1)
