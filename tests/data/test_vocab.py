"""Sentencepiece vocabularies: exact round trip on any Unicode, reserved ids, atomic training."""
import io
import os

import pytest
import sentencepiece as spm
from hypothesis import example, given, settings
from hypothesis import strategies as st

from t2t.data.vocab import (META_SPACE, RESERVED_PIECES, UNK_ID, Vocabulary,
                                train_vocabulary)
from t2t.ids import EOS_ID, PAD_ID

SENTENCES = [f"The {animal} {verb} the {thing} number {number}."
             for animal in ("cat", "dog", "owl", "fox", "yak")
             for verb in ("sees", "eats", "likes", "finds")
             for thing in ("ball", "tree", "hat", "moon", "café")
             for number in range(3)]


@pytest.fixture(scope="module", params=["unigram", "bpe"])
def vocab(request, tmp_path_factory):
    prefix = str(tmp_path_factory.mktemp(request.param) / "vocab")
    return train_vocabulary(SENTENCES, prefix, vocab_size=320, model_type=request.param)


@settings(max_examples=300, deadline=None)
@given(text=st.text())
@example(text="Hello  world")
@example(text="  leading and trailing   ")
@example(text="\ttabs\tand\nnewlines\r\n")
@example(text="emoji 😀👍🏽 and 👨‍👩‍👧 family")
@example(text="日本語のテキスト，中文文本")
@example(text="e\u0301 n\u0303 combining marks; ﬁ ligature; ｆｕｌｌ width; \u00a0nbsp")
@example(text=f"{META_SPACE}sentencepiece's own meta {META_SPACE}{META_SPACE} symbol ")
@example(text="\x00 NUL and \ufeff BOM")
@example(text="")
def test_decode_inverts_encode_on_any_text(vocab, text):
    ids = vocab.encode(text)
    assert vocab.decode(ids) == text
    assert all(UNK_ID < i < vocab.size for i in ids)


def test_reserved_ids_match_the_model_contract(vocab):
    assert (PAD_ID, EOS_ID, UNK_ID) == (0, 1, 2)
    assert RESERVED_PIECES < vocab.size <= 320  # unigram may stop short on a small corpus
    assert vocab.decode([]) == ""
    text = "The cat sees the moon."
    assert vocab.decode(vocab.encode(text)) == text
    assert len(vocab.encode(text)) < len(text)  # it learned pieces longer than one character


def test_training_is_deterministic_and_leaves_only_the_two_files(tmp_path):
    first = train_vocabulary(SENTENCES, str(tmp_path / "a" / "v"), vocab_size=300)
    train_vocabulary(SENTENCES, str(tmp_path / "b" / "v"), vocab_size=300)
    assert sorted(os.listdir(tmp_path / "a")) == ["v.model", "v.vocab"]
    assert (tmp_path / "a" / "v.vocab").read_text() == (tmp_path / "b" / "v.vocab").read_text()
    assert Vocabulary.load(str(tmp_path / "a" / "v")).encode("The fox") == first.encode("The fox")


def test_failed_training_leaves_nothing_and_keeps_the_reader_error(tmp_path):
    def unreadable():
        yield "a first sentence"
        raise FileNotFoundError("parallel text file not found: /corpora/x.en")

    with pytest.raises(FileNotFoundError, match="/corpora/x.en"):
        train_vocabulary(unreadable(), str(tmp_path / "v"), vocab_size=300)
    with pytest.raises(ValueError, match="no sentences"):
        train_vocabulary([], str(tmp_path / "v"), vocab_size=300)
    many_characters = ["".join(chr(0x4E00 + i) for i in range(start, start + 50))
                       for start in range(0, 500, 50)]
    with pytest.raises(ValueError, match="training vocabulary .*v .*size 300"):
        train_vocabulary(many_characters, str(tmp_path / "v"), vocab_size=300)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"vocab_size": 259}, "must exceed the 259 reserved ids"),
    ({"vocab_size": 300, "model_type": "word"}, "model_type must be one of"),
])
def test_bad_settings_are_named(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_vocabulary(SENTENCES, str(tmp_path / "v"), **kwargs)


def test_loading_checks_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.model"):
        Vocabulary.load(str(tmp_path / "missing"))
    plain = io.BytesIO()  # sentencepiece's default ids: unk 0, bos 1, eos 2, no byte fallback
    spm.SentencePieceTrainer.train(sentence_iterator=iter(SENTENCES), model_writer=plain,
                                   vocab_size=34, minloglevel=2,
                                   hard_vocab_limit=False)
    (tmp_path / "plain.model").write_bytes(plain.getvalue())
    with pytest.raises(ValueError, match="plain.model: not a t2t vocabulary"):
        Vocabulary.load(str(tmp_path / "plain"))
