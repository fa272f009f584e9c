"""t2t-trainer: trains a registered model on a registered problem.

    t2t-trainer --problem=algorithmic_reverse --model=transformer --hparams_set=transformer_tiny \
        --hparams="batch_size=2048" --data_dir=~/t2t_data --output_dir=~/t2t_train/reverse \
        --train_steps=2000 --mesh_shape="batch:2" --cpu_devices=2

Missing data is generated on first use. Re-running with the same --output_dir resumes from the
latest checkpoint; a different configuration for an existing --output_dir is an error.
"""
from __future__ import annotations

import difflib
import functools
import os
import signal

import gin
from absl import app, flags, logging

from t2t import config, registry

from t2t.decode.params import parse_decode_hparams

from t2t.train import mesh, trainer
from t2t.train.hparams import RunOptions
from t2t.scripts import common

# Read here, defined in common (listed in --help; common.start refuses the other shared flags).
SHARED_FLAGS = ("problem", "data_dir", "tmp_dir", "gin_param", "output_dir")
for _name in SHARED_FLAGS:
    flags.declare_key_flag(_name)

flags.DEFINE_string("model", "", "Registered model name.")
flags.DEFINE_string("hparams_set", "", "Registered hparams set (a gin file in hparams/).")
flags.DEFINE_string("hparams", "", 'Overrides of the set\'s hyperparameters: "name=value,...".')
flags.DEFINE_multi_string("gin_file", [], "Gin files applied after the hparams set.")
flags.DEFINE_integer("train_steps", 1000, "Train until the global step reaches this.")
flags.DEFINE_integer("eval_every", 1000, "Evaluate on the dev split every this many steps.")
flags.DEFINE_integer("eval_steps", 0, "Teacher-forced dev batches per eval; 0 = whole dev split.")
flags.DEFINE_integer("eval_decode_examples", 100, "Dev examples decoded per eval for the "
                     "problem's decode metrics (exact match, BLEU, ...); 0 = off.")
flags.DEFINE_string("eval_decode_hparams", "", 'How dev examples are decoded for eval, e.g. '
                    '"beam_size=4,alpha=0.6" (default: greedy).')
flags.DEFINE_integer("checkpoint_every", 1000, "Save a checkpoint every this many steps.")
flags.DEFINE_integer("keep_checkpoints", 5, "How many recent checkpoints to keep.")
flags.DEFINE_integer("log_every", 100, "Progress line and train summaries every this many steps.")
flags.DEFINE_integer("random_seed", 0, "Seeds weights, data order and dropout; equal seeds give "
                     "equal losses on CPU.")
flags.DEFINE_string("mesh_shape", "", '"" = one device, "batch:4" = 4-way data parallelism.')
flags.DEFINE_string("layout", "", 'Logical axis → mesh axis rules, "vocab:model;d_ff:model".')
flags.DEFINE_integer("cpu_devices", 0, "Split the host CPU into this many logical devices "
                     "(to run a mesh on a CPU-only machine).")
flags.DEFINE_bool("xla_compile", False, "Compile each replica's forward and backward pass with "
                  "XLA.")
flags.DEFINE_bool("use_tpu", False, "Run on a TPU (TPUStrategy).")
flags.DEFINE_string("tpu", "", "TPU name or address for --use_tpu.")

FLAGS = flags.FLAGS


def main(argv: list[str]) -> None:
    if not common.start(argv, SHARED_FLAGS):
        return
    common.require("problem", "model", "hparams_set", "data_dir", "output_dir")
    with common.user_errors_as_usage():
        run = _build_trainer()
    if run.plan.is_chief:
        config.write_config(FLAGS.output_dir, FLAGS.problem, FLAGS.model, FLAGS.data_dir)
    # Ctrl-C (SIGINT) and SIGTERM (kill, a scheduler's preemption) stop training after the
    # current step: checkpoint, then exit; a second one stops at once (still checkpointing).
    # SIGTERM also reaches runs started in the background, where the shell makes SIGINT ignored.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        logging.info("SIGINT is ignored (a background run): stop this run with SIGTERM (kill %d)",
                     os.getpid())
    else:
        signal.signal(signal.SIGINT, functools.partial(_request_stop, run))
    signal.signal(signal.SIGTERM, functools.partial(_request_stop, run))
    try:
        run.train()
    except KeyboardInterrupt:
        run.request_stop()  # a second signal: train() still checkpointed on its way out
    if run.stop_requested:
        # train() has saved a checkpoint on its way out; rerunning the command resumes from it.
        raise SystemExit(f"interrupted at step {run.step}; saved {run.checkpoints.latest_checkpoint}"
                         "; run the same command again to resume")


def _build_trainer() -> trainer.Trainer:
    mesh.split_cpu(FLAGS.cpu_devices)
    problem_class = registry.problems.get(FLAGS.problem)
    model_class = registry.models.get(FLAGS.model)
    config.configure(FLAGS.hparams_set, FLAGS.hparams, FLAGS.gin_file, FLAGS.gin_param)
    _check_output_dir_config()
    problem = problem_class()
    plan = mesh.make_plan(FLAGS.mesh_shape, FLAGS.layout, FLAGS.random_seed, FLAGS.use_tpu,
                          FLAGS.tpu)
    options = RunOptions(
        output_dir=FLAGS.output_dir, data_dir=FLAGS.data_dir, tmp_dir=FLAGS.tmp_dir,
        train_steps=FLAGS.train_steps, eval_every=FLAGS.eval_every, eval_steps=FLAGS.eval_steps,
        eval_decode_examples=FLAGS.eval_decode_examples,
        eval_decode_params=parse_decode_hparams(FLAGS.eval_decode_hparams,
                                                model_class.DECODE_PARAMS),
        checkpoint_every=FLAGS.checkpoint_every, keep_checkpoints=FLAGS.keep_checkpoints,
        log_every=FLAGS.log_every, random_seed=FLAGS.random_seed, xla_compile=FLAGS.xla_compile)
    return trainer.Trainer(problem, FLAGS.model, plan, options)


def _request_stop(run: trainer.Trainer, signum: int, frame: object) -> None:
    """Signal handler: the first signal asks `run` to stop after its step; a second raises.

    A flag rather than an exception at first: an exception raised wherever the signal lands can be
    lost (e.g. Python only prints one raised inside a finalizer, and TensorFlow runs many), and
    then the run would go on as if nothing had been asked. The handler does no I/O (the training
    loop logs that it stops): it can land inside a write to stderr, and Python's buffered writers
    are not reentrant.
    """
    if run.stop_requested:
        raise KeyboardInterrupt(f"signal {signum}")
    run.request_stop()


def _check_output_dir_config() -> None:
    """An existing run in --output_dir must have been trained with the same configuration."""
    path = os.path.join(FLAGS.output_dir, config.CONFIG_FILE)
    if not os.path.isfile(path):
        return
    config.bind_run_macros(FLAGS.problem, FLAGS.model, FLAGS.data_dir)
    with open(path, encoding="utf-8") as file:
        saved = file.read()
    current = gin.config_str()
    if saved != current:
        diff = "\n".join(difflib.unified_diff(saved.splitlines(), current.splitlines(),
                                              path, "this command", lineterm="", n=0))
        raise app.UsageError(f"--output_dir={FLAGS.output_dir} holds a run with another "
                             f"configuration; use a new --output_dir or the same flags.\n{diff}")


def run() -> None:
    """Console-script entry point of `t2t-trainer`."""
    common.run(main, __name__)


if __name__ == "__main__":
    run()
