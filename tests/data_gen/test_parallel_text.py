"""Reading parallel text: aligned files, TSV, and every kind of bad input named precisely."""
import logging

import pytest

from t2t.data_gen.parallel_text import clean_pairs, count_lines, read_aligned_files, read_tsv


def write(path, data: bytes):
    path.write_bytes(data)
    return str(path)


def test_aligned_files_pair_line_by_line(tmp_path):
    source = write(tmp_path / "x.en", "\ufeffHello.\r\nGood  night. \nLast line".encode())
    target = write(tmp_path / "x.es", "¡Hola!\nBuenas noches.\nÚltima línea\n".encode())
    assert count_lines(source) == count_lines(target) == 3
    assert list(read_aligned_files(source, target)) == [
        ("Hello.", "¡Hola!"), ("Good  night. ", "Buenas noches."), ("Last line", "Última línea")]


def test_missing_file_is_named(tmp_path):
    target = write(tmp_path / "x.es", b"hola\n")
    with pytest.raises(FileNotFoundError, match="x.en"):
        list(read_aligned_files(str(tmp_path / "x.en"), target))
    with pytest.raises(FileNotFoundError, match="nowhere.tsv"):
        list(read_tsv(str(tmp_path / "nowhere.tsv")))


def test_misaligned_files_name_both_files_and_counts_before_yielding(tmp_path):
    source = write(tmp_path / "x.en", b"one\ntwo\nthree\n")
    target = write(tmp_path / "x.es", b"uno\ndos\n")
    pairs = read_aligned_files(source, target)
    with pytest.raises(ValueError, match=r"x.en has 3 lines but .*x.es has 2"):
        next(pairs)


@pytest.mark.parametrize("reader", ["aligned", "tsv"])
def test_non_utf8_names_file_and_line(tmp_path, reader):
    bad = b"fine\xc3\xa9\nlatin-1 caf\xe9\n"
    if reader == "tsv":
        pairs = read_tsv(write(tmp_path / "x.tsv", b"a\tb\n" + bad.replace(b"\n", b"\tz\n")))
        expected = r"x.tsv, line 3: not valid UTF-8 \(byte 0xe9"
    else:
        pairs = read_aligned_files(write(tmp_path / "x.en", bad),
                                   write(tmp_path / "x.es", b"a\nb\n"))
        expected = r"x.en, line 2: not valid UTF-8 \(byte 0xe9"
    with pytest.raises(ValueError, match=expected):
        list(pairs)


def test_tsv_fields_and_blank_lines(tmp_path):
    path = write(tmp_path / "x.tsv", b"a b\tc d\n\n  \ne\tf\r\n")
    assert list(read_tsv(path)) == [("a b", "c d"), ("", ""), ("", ""), ("e", "f")]
    bad = write(tmp_path / "bad.tsv", b"a\tb\nno tab here\n")
    with pytest.raises(ValueError, match=r"bad.tsv, line 2: expected 2 tab-separated fields.*"
                                         r"found 1"):
        list(read_tsv(bad))
    with pytest.raises(ValueError, match=r"line 1: .* found 3"):
        list(read_tsv(write(tmp_path / "three.tsv", b"a\tb\tc\n")))


def test_clean_pairs_strips_skips_and_logs_the_counts(caplog):
    pairs = [(" a ", "b"), ("", "x"), ("y", "   "), ("long" * 5, "z"), ("c", "d" * 10)]
    with caplog.at_level(logging.INFO):
        kept = list(clean_pairs(pairs, max_chars=10, origin="my corpus"))
    assert kept == [("a", "b"), ("c", "d" * 10)]
    message = caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.WARNING
    assert message == ("my corpus: read 5 sentence pairs, kept 2; skipped 2 with an empty side "
                       "and 1 with a side longer than 10 characters")


def test_clean_pairs_logs_info_when_nothing_is_skipped(caplog):
    with caplog.at_level(logging.INFO):
        assert list(clean_pairs([("a", "b")], max_chars=10, origin="ok")) == [("a", "b")]
    assert caplog.records[-1].levelno == logging.INFO
    assert "ok: read 1 sentence pairs, kept 1; skipped 0" in caplog.records[-1].getMessage()
