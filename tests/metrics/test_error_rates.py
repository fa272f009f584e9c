"""Word and character error rates against hand-computed values."""
import pytest

from t2t.metrics.error_rates import character_error_rate, word_error_rate


def test_identical_transcripts_have_no_errors():
    texts = ["the cat sat", "on the mat"]
    assert word_error_rate(texts, texts) == 0.0
    assert character_error_rate(texts, texts) == 0.0


def test_word_error_rate_counts_substitutions_deletions_insertions():
    # "the cat sat on the mat" vs "the bat sat on mat": 1 substitution + 1 deletion over 6 words.
    assert word_error_rate(["the bat sat on mat"], ["the cat sat on the mat"]) == pytest.approx(2 / 6)
    # One insertion over 3 words.
    assert word_error_rate(["a b c d"], ["a b c"]) == pytest.approx(1 / 3)


def test_word_error_rate_is_corpus_level_not_an_average_of_sentences():
    # 1 error in a 1-word sentence and 0 in a 3-word one: 1/4, not (1 + 0) / 2.
    assert word_error_rate(["x", "a b c"], ["y", "a b c"]) == pytest.approx(0.25)


def test_error_rate_can_exceed_one_and_empty_hypothesis_is_all_deletions():
    assert word_error_rate(["a b c"], ["z"]) == pytest.approx(3.0)
    assert word_error_rate([""], ["two words"]) == pytest.approx(1.0)


def test_character_error_rate_includes_spaces_and_normalizes_whitespace():
    # "kitten" → "sitting": 3 edits over 6 characters (the classic Levenshtein example).
    assert character_error_rate(["sitting"], ["kitten"]) == pytest.approx(3 / 6)
    # "ab cd" (5 chars) vs "abcd": the missing space is one deletion.
    assert character_error_rate(["abcd"], ["ab  cd "]) == pytest.approx(1 / 5)
    assert character_error_rate(["ça va"], ["ca va"]) == pytest.approx(1 / 5)


def test_bad_arguments_are_errors():
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        word_error_rate(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="references are empty"):
        character_error_rate([""], ["  "])
