"""docs/extending.md's example: a user directory's problem, model and hparams set, trained and
decoded through the command-line tools as the page shows."""
import pathlib
import re

import pytest

from tests.helpers.cli_tools import run_tool

USR_DIR = pathlib.Path(__file__).resolve().parents[2] / "docs" / "extending_example"


def test_the_registry_lists_the_user_directory_s_problem_model_and_set():
    result = run_tool("trainer", f"--t2t_usr_dir={USR_DIR}", "--registry_help")
    assert result.returncode == 0, result.stderr[-2000:]
    for name in ("increment_digits", "tagger", "tagger_tiny"):
        assert f"  {name}\n" in result.stdout


@pytest.mark.slow
def test_the_toy_problem_and_model_train_and_decode_through_the_cli(tmp_path):
    run = ["--problem=increment_digits", "--model=tagger", "--hparams_set=tagger_tiny",
           f"--t2t_usr_dir={USR_DIR}", f"--data_dir={tmp_path / 'data'}",
           f"--output_dir={tmp_path / 'run'}", "--train_steps=300", "--eval_every=300",
           "--log_every=50", "--random_seed=1"]
    trained = run_tool("trainer", *run)
    assert trained.returncode == 0, trained.stderr[-3000:]
    losses = [float(loss) for loss in re.findall(r"step \d+/300  loss ([\d.]+)", trained.stderr)]
    assert len(losses) >= 5 and losses[-1] < 0.1 * losses[0], losses

    decoded = run_tool("decoder", f"--t2t_usr_dir={USR_DIR}", f"--output_dir={tmp_path / 'run'}",
                       "--decode_split=test")
    assert decoded.returncode == 0, decoded.stderr[-3000:]
    exact_match = float(re.search(r"exact_match\D*([\d.]+)", decoded.stdout + decoded.stderr)[1])
    assert exact_match >= 0.95, decoded.stdout

    (tmp_path / "in.txt").write_text("3 9 4\n0 0 7 1\n")
    decoded = run_tool("decoder", f"--t2t_usr_dir={USR_DIR}", f"--output_dir={tmp_path / 'run'}",
                       f"--decode_from_file={tmp_path / 'in.txt'}")
    assert decoded.returncode == 0, decoded.stderr[-3000:]
    assert decoded.stdout.splitlines() == ["4 0 5", "1 1 8 2"]
