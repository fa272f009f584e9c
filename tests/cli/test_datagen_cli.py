"""The t2t-datagen command line, run as a real subprocess."""
import os
import subprocess
import sys
import textwrap

import pytest

from t2t.data import shards


def _datagen(*args, console_script=False):
    # The console script is installed next to the interpreter, which need not be on PATH.
    script = os.path.join(os.path.dirname(sys.executable), "t2t-datagen")
    command = [script] if console_script else [sys.executable, "-m", "t2t.scripts.datagen"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(command + list(args), capture_output=True, text=True, env=env,
                          timeout=120)


def test_writes_every_split_with_gin_overrides(tmp_path):
    result = _datagen("--problem=algorithmic_reverse", f"--data_dir={tmp_path}",
                      "--gin_param=AlgorithmicReverse.num_train = 30",
                      "--gin_param=AlgorithmicReverse.num_dev = 4",
                      "--gin_param=AlgorithmicReverse.num_test = 4")

    assert result.returncode == 0, result.stderr
    for split, num_shards in [("train", 10), ("dev", 1), ("test", 1)]:
        files = shards.split_files(str(tmp_path), "algorithmic_reverse", split)
        assert [os.path.basename(f) for f in files] == [
            f"algorithmic_reverse-{split}-{i:05d}-of-{num_shards:05d}" for i in range(num_shards)]
    assert (tmp_path / "tmp").is_dir()
    assert "Wrote 30 train examples" in result.stderr


@pytest.mark.parametrize("typo, message", [
    ("--problem=algoritmic_reverse", "Did you mean: algorithmic_reverse"),
    ("--gin_param=AlgorithmicReverse.num_trian = 5", "doesn't have a parameter named 'num_trian'"),
])
def test_typos_fail_with_a_clear_message_and_write_nothing(tmp_path, typo, message):
    args = ["--problem=algorithmic_reverse", f"--data_dir={tmp_path}", typo]
    result = _datagen(*args)

    assert result.returncode != 0
    assert message in result.stderr
    assert os.listdir(tmp_path) == []


def test_mistyped_flag_is_an_error(tmp_path):
    result = _datagen("--problem=algorithmic_reverse", f"--data_dirr={tmp_path}",
                      console_script=True)

    assert result.returncode != 0
    assert "data_dirr" in result.stderr


def test_help_of_the_console_script_lists_the_flags_it_reads():
    result = _datagen("--help", console_script=True)  # absl exits 1 after --help

    assert "--problem" in result.stdout and "--gin_param" in result.stdout
    assert "--output_dir" not in result.stdout  # a shared flag t2t-datagen does not read


def test_usr_dir_problems_are_registered(tmp_path):
    usr_dir = tmp_path / "my_problems"
    usr_dir.mkdir()
    (usr_dir / "__init__.py").write_text(textwrap.dedent("""
        from t2t.problems.algorithmic import AlgorithmicReverse
        from t2t.registry import register_problem

        @register_problem
        class MyReverse(AlgorithmicReverse):
            pass
        """))

    result = _datagen(f"--t2t_usr_dir={usr_dir}", "--registry_help")

    assert result.returncode == 0, result.stderr
    assert "my_reverse" in result.stdout and "algorithmic_addition" in result.stdout
