"""t2t-trainer and t2t-decoder as a user runs them: real subprocesses, real files."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from tests.helpers.cli_tools import run_tool

SMALL = ("hidden_size=32,filter_size=64,num_heads=2,num_encoder_layers=1,num_decoder_layers=1,"
         "batch_size=256,learning_rate_warmup_steps=20")
DATA = ["--gin_param=AlgorithmicReverse.num_train = 400",
        "--gin_param=AlgorithmicReverse.num_dev = 16",
        "--gin_param=AlgorithmicReverse.num_test = 16",
        "--gin_param=AlgorithmicReverse.max_length = 6"]



def train_args(tmp_path, *extra, output="run"):
    return ["--problem=algorithmic_reverse", "--model=transformer",
            "--hparams_set=transformer_tiny", f"--hparams={SMALL}", *DATA,
            f"--data_dir={tmp_path / 'data'}", f"--output_dir={tmp_path / output}",
            "--eval_every=1000", "--eval_decode_examples=4", "--log_every=5", *extra]


def test_registry_help_lists_everything():
    result = run_tool("trainer", "--registry_help")
    assert result.returncode == 0, result.stderr
    for name in ("algorithmic_reverse", "algorithmic_addition", "transformer", "transformer_tiny",
                 "transformer_base", "transformer_big"):
        assert f"  {name}\n" in result.stdout


@pytest.mark.parametrize("change, message", [
    (["--problem=algoritmic_reverse"], "Did you mean: algorithmic_reverse"),
    (["--model=transfomer"], "Did you mean: transformer"),
    (["--hparams_set=transformer_tiniest"], "Did you mean: transformer_tiny"),
    (["--hparams=hiden_size=32"], "unknown hyperparameter 'hiden_size'"),
    (["--train_step=5"], "Unknown command line flag 'train_step'"),
    (["--mesh_shape=batch:3"], "needs 3 devices but this process sees 1.*--cpu_devices=3"),
    (["--mesh_shape=batch;model:2"], "is not NAME:SIZE"),
    (["--output_dir="], "missing required flag.*--output_dir"),
])
def test_bad_input_is_a_specific_error(tmp_path, change, message):
    args = train_args(tmp_path, "--train_steps=1")
    names = {item.split("=")[0] for item in change}
    args = [arg for arg in args if arg.split("=")[0] not in names] + change
    result = run_tool("trainer", *args)
    assert result.returncode != 0
    assert re.search(message, result.stderr), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "config.gin").exists()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(the folder holding data/ and run/, the trainer's result): one 30-step run, checkpoints at
    steps 10, 20 and 30, shared by the tests that only read it (each TensorFlow start costs
    seconds)."""
    base = tmp_path_factory.mktemp("trained")
    result = run_tool("trainer", *train_args(base, "--train_steps=30", "--checkpoint_every=10",
                                             "--keep_checkpoints=3"))
    assert result.returncode == 0, result.stderr[-3000:]
    return base, result


@pytest.mark.slow
def test_train_then_decode_without_repeating_flags(trained):
    tmp_path, result = trained
    assert "step 30/30" in result.stderr and "tokens/s" in result.stderr and "ETA" in result.stderr
    assert "decode/exact_match" in result.stderr
    output_dir = tmp_path / "run"
    saved = (output_dir / "config.gin").read_text()
    assert "hidden_size = 32" in saved and "problem = 'algorithmic_reverse'" in saved
    assert (output_dir / "ckpt-30.index").exists()
    assert list((output_dir / "eval").glob("events.out.tfevents.*"))

    inputs = tmp_path / "inputs.txt"
    inputs.write_text("1 2 3\n4 5\n")
    outputs = tmp_path / "outputs.txt"
    result = run_tool("decoder", f"--output_dir={output_dir}", f"--decode_from_file={inputs}",
                      f"--decode_to_file={outputs}", "--decode_hparams=beam_size=2")
    assert result.returncode == 0, result.stderr[-3000:]
    decoded = outputs.read_text().splitlines()
    assert len(decoded) == 2 and all(set(line) <= set("0123456789 ") for line in decoded)

    result = run_tool("decoder", f"--output_dir={output_dir}", f"--data_dir={tmp_path / 'data'}",
                      "--decode_split=test", "--decode_max_examples=8")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test: 8 examples  exact_match" in result.stdout

    result = run_tool("decoder", f"--output_dir={output_dir}", "--decode_from_file=/no/such",
                      "--decode_hparams=beam_sise=2")
    assert result.returncode != 0 and "beam_sise" in result.stderr

    # Same output_dir, other hyperparameters: refused, with the difference shown.
    changed = [arg.replace("hidden_size=32", "hidden_size=48") for arg in train_args(tmp_path)]
    result = run_tool("trainer", *changed, "--train_steps=40")
    assert result.returncode != 0
    assert "another configuration" in result.stderr and "+hidden_size = 48" in result.stderr


@pytest.mark.slow
def test_xla_compile_changes_what_runs(tmp_path):
    """With --xla_compile the gradient computation is compiled by XLA: XLA dumps its module."""
    for xla in (False, True):
        dump = tmp_path / f"dump_{xla}"
        result = run_tool("trainer", *train_args(tmp_path, "--train_steps=3",
                                                 f"--xla_compile={xla}", output=f"run_{xla}"),
                          env={"XLA_FLAGS": f"--xla_dump_to={dump}"})
        assert result.returncode == 0, result.stderr[-3000:]
        compiled = [path.name for path in dump.glob("*gradients*")] if dump.exists() else []
        assert bool(compiled) == xla, compiled


@pytest.mark.slow
def test_usr_dir_registers_a_problem_model_and_hparams_set(tmp_path):
    usr_dir = tmp_path / "my_research"
    usr_dir.mkdir()
    (usr_dir / "__init__.py").write_text("from . import my_things\n")
    (usr_dir / "my_things.py").write_text(textwrap.dedent('''
        from t2t.models.transformer import Transformer
        from t2t.problems.algorithmic import AlgorithmicReverse
        from t2t.registry import register_hparams, register_model, register_problem


        @register_problem
        class AlgorithmicRotate(AlgorithmicReverse):
            """targets: the inputs rotated left by one."""

            def random_sample(self, rng):
                digits, _ = super().random_sample(rng)
                return digits, digits[1:] + digits[:1]


        @register_model
        class UntiedTransformer(Transformer):
            def __init__(self, problem_info, **kwargs):
                super().__init__(problem_info, **kwargs)


        @register_hparams
        def my_tiny():
            return """
                include 't2t/hparams/transformer_tiny.gin'
                hidden_size = 32
                filter_size = 64
                num_heads = 2
                batch_size = 256
                AlgorithmicReverse.num_train = 300
                AlgorithmicReverse.num_dev = 8
                AlgorithmicReverse.num_test = 8
            """
    '''))
    result = run_tool("trainer", "--problem=algorithmic_rotate", "--model=untied_transformer",
                      "--hparams_set=my_tiny", f"--t2t_usr_dir={usr_dir}",
                      f"--data_dir={tmp_path / 'data'}", f"--output_dir={tmp_path / 'run'}",
                      "--train_steps=5", "--eval_every=5", "--eval_decode_examples=2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "data" / "algorithmic_rotate-train-00000-of-00010").exists()
    assert (tmp_path / "run" / "ckpt-5.index").exists()
    help_text = run_tool("trainer", f"--t2t_usr_dir={usr_dir}", "--registry_help").stdout
    assert "  algorithmic_rotate\n" in help_text and "  my_tiny\n" in help_text


def start_long_training(tmp_path, sigint: str) -> subprocess.Popen:
    """A trainer subprocess of 100,000 steps logging every step, started with SIGINT set to
    `sigint` ("default_int_handler": as from a terminal; "SIG_IGN": as a background job) rather
    than with this process's disposition: in 3 of 5 full parallel runs that was ignored, and the
    trainer (on purpose) trained on after SIGINT."""
    launcher = (f"import runpy, signal; signal.signal(signal.SIGINT, signal.{sigint}); "
                "runpy.run_module('t2t.scripts.trainer', run_name='__main__')")
    return subprocess.Popen(
        [sys.executable, "-c", launcher,
         *train_args(tmp_path, "--train_steps=100000", "--log_every=1")],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


def rest_of_log(process: subprocess.Popen, after: str) -> str:
    """The rest of a trainer's stderr once it exits; kills it and fails if it is still running
    120 s `after` (what was done to stop it)."""
    try:
        return process.communicate(timeout=120)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"still running 120 s after {after}; its log ends with:\n"
                    f"{process.communicate()[1][-3000:]}")


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_saves_a_checkpoint_and_the_run_resumes(tmp_path, stop_signal):
    process = start_long_training(tmp_path, "default_int_handler")
    for line in process.stderr:
        if "step 5/" in line:
            process.send_signal(stop_signal)
            break
    stderr = rest_of_log(process, f"signal {stop_signal}")
    assert process.returncode != 0
    match = re.search(r"interrupted at step (\d+); saved \S+/ckpt-(\d+)", stderr)
    assert match and match.group(1) == match.group(2), stderr[-2000:]
    interrupted_at = int(match.group(1))
    assert f"stop requested: stopped after step {interrupted_at} of 100000" in stderr
    assert interrupted_at >= 5
    leftovers = [path.name for path in (tmp_path / "run").iterdir()
                 if "_temp" in path.name or ".tmp" in path.name]
    assert not leftovers, "half-written checkpoint files"

    result = run_tool("trainer", *train_args(tmp_path, f"--train_steps={interrupted_at + 2}"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"resumed from {tmp_path / 'run'}/ckpt-{interrupted_at}" in result.stderr
    assert (tmp_path / "run" / f"ckpt-{interrupted_at + 2}.index").exists()


@pytest.mark.slow
def test_a_background_run_ignores_sigint_says_so_and_stops_on_sigterm(tmp_path):
    process = start_long_training(tmp_path, "SIG_IGN")
    told = False
    for line in process.stderr:
        told = told or f"SIGINT is ignored (a background run): stop this run with SIGTERM " \
                       f"(kill {process.pid})" in line
        if "step 3/" in line:
            process.send_signal(signal.SIGINT)
        if "step 8/" in line:  # still training after SIGINT
            process.send_signal(signal.SIGTERM)
            break
    stderr = rest_of_log(process, "SIGTERM")
    assert told
    match = re.search(r"interrupted at step (\d+)", stderr)
    assert match and int(match.group(1)) >= 8, stderr[-2000:]


@pytest.mark.slow
def test_interactive_decoding(trained):
    tmp_path, _ = trained
    session = subprocess.run(
        [sys.executable, "-m", "t2t.scripts.decoder", f"--output_dir={tmp_path / 'run'}",
         "--decode_interactive"], input="1 2 3\n7 x\n4\n", capture_output=True, text=True,
        timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert session.returncode == 0, session.stderr[-3000:]
    answers = session.stdout.splitlines()
    assert len(answers) == 2  # the line with an unknown symbol is reported, not answered
    assert "error: algorithmic_reverse: unknown symbols ['x']" in session.stderr


@pytest.mark.slow
def test_average_of_last_checkpoints_decodes(trained, tmp_path):
    import tensorflow as tf

    run_dir, avg_dir = trained[0] / "run", tmp_path / "avg"
    result = run_tool("avg_checkpoints", f"--output_dir={run_dir}", "--num_last=3",
                      f"--avg_dir={avg_dir}")
    assert result.returncode == 0, result.stderr[-3000:]

    key = next(name for name, _ in tf.train.list_variables(str(avg_dir / "ckpt-30"))
               if name.startswith("model/") and "embedding" in name)
    values = [tf.train.load_variable(str(run_dir / f"ckpt-{step}"), key) for step in (10, 20, 30)]
    # float32 sums in another order: a few ulps apart, which is large relative to values near 0
    np.testing.assert_allclose(tf.train.load_variable(str(avg_dir / "ckpt-30"), key),
                               np.mean(values, axis=0), rtol=1e-6, atol=1e-8)

    inputs = tmp_path / "in.txt"
    inputs.write_text("1 2\n")
    result = run_tool("decoder", f"--output_dir={avg_dir}", f"--decode_from_file={inputs}",
                      f"--decode_reference={inputs}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"in.txt: 1 examples  exact_match (0|1)\.0000", result.stderr)

    result = run_tool("avg_checkpoints", f"--output_dir={run_dir}", "--num_last=5")
    assert result.returncode != 0 and "asked to average 5 checkpoints" in result.stderr


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def logged_losses(stderr):
    return [float(loss) for loss in re.findall(r"step \d+/\d+  loss ([\d.]+)", stderr)]


@pytest.mark.slow
def test_two_local_hosts_follow_the_one_device_curve(tmp_path):
    """MultiWorkerMirroredStrategy over two processes on 127.0.0.1, one CPU device each, versus
    one device: without dropout the printed losses (4 decimals) agree to 1e-3 relative."""
    no_dropout = ["--gin_param=layer_prepostprocess_dropout = 0.0",
                  "--gin_param=attention_dropout = 0.0", "--gin_param=relu_dropout = 0.0"]
    single = run_tool("trainer", *train_args(tmp_path, "--train_steps=8", "--log_every=1",
                                             *no_dropout, output="single"))
    assert single.returncode == 0, single.stderr[-3000:]

    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = [subprocess.Popen(
        [sys.executable, "-m", "t2t.scripts.trainer", "--mesh_shape=batch:2",
         *train_args(tmp_path, "--train_steps=8", "--log_every=1", *no_dropout, output="multi")],
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
             "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker",
                                                                    "index": index}})})
        for index in range(2)]
    outputs = [worker.communicate(timeout=300)[1] for worker in workers]
    for worker, stderr in zip(workers, outputs):
        assert worker.returncode == 0, stderr[-3000:]
    assert re.search(r"mesh: CollectiveAllReduceStrategy with 2 replica\(s\) on /job:worker/"
                     r"replica:0/task:0", outputs[0])  # MultiWorkerMirroredStrategy's class
    np.testing.assert_allclose(logged_losses(outputs[0]), logged_losses(single.stderr), rtol=1e-3)
    assert len(logged_losses(outputs[0])) == 8
    assert (tmp_path / "multi" / "ckpt-8.index").exists()  # the chief's
    assert sorted(path.name for path in (tmp_path / "multi").glob("ckpt-*.index")) == [
        "ckpt-8.index"]


@pytest.mark.slow
def test_translation_from_files_end_to_end_with_real_bleu(tmp_path):
    """Parallel TSV files → datagen → train → decode with --decode_reference → sacreBLEU."""
    pairs = [(f"the {color} {thing}", f"el {thing_es} {color_es}")
             for color, color_es in [("red", "rojo"), ("green", "verde"), ("blue", "azul")]
             for thing, thing_es in [("car", "coche"), ("dog", "perro"), ("house", "casa")]]
    corpus = tmp_path / "corpus.tsv"
    corpus.write_text("".join(f"{en}\t{es}\n" for en, es in pairs * 20), encoding="utf-8")
    files = [f"--gin_param=TranslateFiles.{name}" for name in (
        f"train_tsv = '{corpus}'", f"dev_tsv = '{corpus}'", f"test_tsv = '{corpus}'",
        "vocab_size = 300")]
    result = run_tool("datagen", "--problem=translate_files", f"--data_dir={tmp_path / 'data'}",
                      *files)
    assert result.returncode == 0, result.stderr[-3000:]

    result = run_tool("trainer", "--problem=translate_files", "--model=transformer",
                      "--hparams_set=transformer_tiny", f"--hparams={SMALL}", *files,
                      f"--data_dir={tmp_path / 'data'}", f"--output_dir={tmp_path / 'run'}",
                      "--train_steps=10", "--eval_every=10", "--eval_decode_examples=4",
                      "--eval_decode_hparams=beam_size=2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"eval at step 10: .*decode/bleu \d+\.\d+", result.stderr)

    sources, references = tmp_path / "en.txt", tmp_path / "es.txt"
    sources.write_text("the red car\nthe blue dog\n", encoding="utf-8")
    references.write_text("el coche rojo\nel perro azul\n", encoding="utf-8")
    result = run_tool("decoder", f"--output_dir={tmp_path / 'run'}",
                      f"--decode_from_file={sources}", f"--decode_reference={references}",
                      "--decode_hparams=beam_size=2,alpha=0.6")
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.stdout.splitlines()) == 2
    assert re.search(r"es.txt: 2 examples  bleu \d+\.\d+  exact_match", result.stderr)

    misaligned = tmp_path / "short.txt"
    misaligned.write_text("el coche rojo\n", encoding="utf-8")
    result = run_tool("decoder", f"--output_dir={tmp_path / 'run'}",
                      f"--decode_from_file={sources}", f"--decode_reference={misaligned}")
    assert result.returncode != 0
    assert "has 1 lines but --decode_from_file" in result.stderr
