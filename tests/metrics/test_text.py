"""Decode metrics: sacreBLEU on detokenized text, and exact match."""
import math

import pytest
import sacrebleu

from t2t.metrics.text import bleu, exact_match


def test_bleu_of_identical_and_disjoint_text():
    references = ["The cat sat on the mat.", "¿Dónde está la biblioteca?"]
    assert bleu(references, references) == pytest.approx(100.0)
    assert bleu(["a b c d", "e f g h"], ["w x y z", "p q r s"]) == 0.0


def test_bleu_by_hand():
    # Same length (no brevity penalty); matching n-grams 5/6, 3/5, 2/4, 1/3.
    hypothesis, reference = "the cat sat on the mat", "the cat sat on a mat"
    by_hand = 100 * math.exp(sum(map(math.log, [5 / 6, 3 / 5, 2 / 4, 1 / 3])) / 4)
    assert bleu([hypothesis], [reference]) == pytest.approx(by_hand)  # 53.73
    assert bleu([hypothesis], [reference]) == pytest.approx(
        sacrebleu.corpus_bleu([hypothesis], [[reference]]).score)


def test_bleu_is_a_corpus_score_on_detokenized_text():
    hypotheses = ["Hello, world!", "It's fine.", "A short one"]
    references = ["Hello, world!", "It is fine.", "A short one here"]
    assert bleu(hypotheses, references) == pytest.approx(
        sacrebleu.corpus_bleu(hypotheses, [references]).score)
    # 13a tokenization splits punctuation from words, as published scores do.
    assert bleu(["Hello , world !"], ["Hello, world!"]) == pytest.approx(100.0)


def test_exact_match_and_bad_input():
    assert exact_match(["a ", "b", "c"], ["a", "b", "x"]) == pytest.approx(2 / 3)
    for score in (bleu, exact_match):
        with pytest.raises(ValueError, match="1 hypotheses but 2 references"):
            score(["a"], ["a", "b"])
        with pytest.raises(ValueError, match="empty"):
            score([], [])
