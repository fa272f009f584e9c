"""Atomic file writing: whole files with the usual permissions, nothing left after an error."""
import os
import stat

import numpy as np
import pytest

from t2t.data import atomic_files
from t2t.lm.char_lm import CharNgramLM
from t2t.data_gen import audio


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_get_the_permissions_of_an_ordinary_new_file(tmp_path):
    ordinary = tmp_path / "ordinary.txt"
    ordinary.write_text("x")
    atomic_files.write_text(str(tmp_path / "sub" / "atomic.txt"), "hello")
    assert (tmp_path / "sub" / "atomic.txt").read_text() == "hello"
    assert mode(tmp_path / "sub" / "atomic.txt") == mode(ordinary)
    # and so do the files written through it: an LM, a wav.
    CharNgramLM.train(["ab"], order=2, alphabet="ab").save(str(tmp_path / "lm.json"))
    audio.write_wav(str(tmp_path / "a.wav"), np.zeros(10, np.int16))
    assert mode(tmp_path / "lm.json") == mode(tmp_path / "a.wav") == mode(ordinary)


def test_an_error_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="interrupted"):
        with atomic_files.temporary_beside(str(path)) as temp_path:
            with open(temp_path, "w") as file:
                file.write("half")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]
