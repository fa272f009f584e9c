"""What the t2t command-line tools share: the flags several tools read, registering built-ins and
user code, --registry_help, building --problem, and the LM tools' training text.

Every flag is defined once, with absl's `flags.DEFINE_*` at module level: a flag that one tool
reads in that tool's module, a flag that several tools read here. A tool lists the shared flags it
reads in its `SHARED_FLAGS`, declares them key flags (so that its --help shows them) and passes
them to `start`, which refuses the others: no tool silently ignores a flag.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import gin
from absl import app, flags, logging

from t2t import config, registry
from t2t.lm import text_files
from t2t.lm.smoothing import SMOOTHINGS
from t2t.lm.text_source import LanguageModelTextSource
from t2t.train import mesh

if TYPE_CHECKING:
    from t2t.problem import Problem

# Every tool reads these two.
flags.DEFINE_string("t2t_usr_dir", "", "Folder with an __init__.py whose imports register the "
                    "user's own problems, models and hparams sets.")
flags.DEFINE_bool("registry_help", False, "List every registered problem, model and hparams set, "
                  "then exit.")

# Read by several tools (each names those it reads in its SHARED_FLAGS).
flags.DEFINE_string("problem", "", "Registered problem name (--registry_help lists them).")
flags.DEFINE_string("data_dir", "", "Where the problem's shards and vocabularies are (t2t-datagen "
                    "writes them there; t2t-decoder's default: the run's, from config.gin).")
flags.DEFINE_string("tmp_dir", "", "Scratch space for downloads and raw files "
                    "(default: <data_dir>/tmp).")
flags.DEFINE_multi_string("gin_param", [], 'A gin binding, e.g. '
                          '"AlgorithmicReverse.num_train = 1000"; repeatable. Applied last '
                          '(by t2t-trainer after --hparams_set, --gin_file and --hparams).')
flags.DEFINE_string("output_dir", "", "A training run's directory: checkpoints, config.gin and "
                    "TensorBoard logs (t2t-trainer writes it; t2t-decoder and t2t-avg-all read "
                    "it).")
# The LM tools' (t2t-char-lm, t2t-word-lm).
flags.DEFINE_string("text_file", "", "Normalized sentences to train on, one per line.")
flags.DEFINE_integer("order", 7, "n of the n-gram model: n - 1 characters (t2t-char-lm) or words "
                     "(t2t-word-lm) of context.")
flags.DEFINE_string("output", "", "Where the LM is written (JSON).")
flags.DEFINE_enum("smoothing", "witten_bell", list(SMOOTHINGS),
                  "How counts become probabilities (t2t.lm.smoothing): interpolated Witten–Bell, or "
                  "modified Kneser–Ney, which predicts new text better at high orders.")

FLAGS = flags.FLAGS

SHARED = ("problem", "data_dir", "tmp_dir", "gin_param", "output_dir", "text_file", "order",
          "output", "smoothing")

# The core's gin configurables that a saved config.gin binds (TrainHparams, Adam,
# learning_rate_schedule), so that every tool can parse that file, then the content folders.
BUILT_IN_PACKAGES = ("t2t.train.hparams", "t2t.train.optimizers", "t2t.train.learning_rate",
                     "t2t.problems", "t2t.models", "t2t.hparams")


def run(main: Callable[[list[str]], None], tool_module: str) -> None:
    """A tool's console-script entry point: runs `main` under absl, logging at INFO.

    absl's --help lists the key flags of the module it finds at sys.argv[0]; under a console
    script that is the script's path, so the key flags of `tool_module` (the tool's __name__) are
    declared for it too.
    """
    for flag in FLAGS.get_key_flags_for_module(tool_module):
        FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    logging.set_verbosity(logging.INFO)
    app.run(main, argv=sys.argv)


def register_everything() -> None:
    """Imports the built-ins (problems, models, hparams sets, core configurables) and
    --t2t_usr_dir so that they register."""
    for package in BUILT_IN_PACKAGES:
        importlib.import_module(package)
    if FLAGS.t2t_usr_dir:
        registry.import_usr_dir(FLAGS.t2t_usr_dir)


def start(argv: list[str], shared_flags: Sequence[str]) -> bool:
    """What every tool does first: refuse stray arguments and the shared flags it does not read
    (those not in `shared_flags`), register the built-ins and --t2t_usr_dir, answer
    --registry_help. Returns False when the tool has nothing left to do."""
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    unread = [f"--{name}" for name in SHARED if name not in shared_flags and FLAGS[name].present]
    if unread:
        raise app.UsageError(f"this tool does not read {', '.join(unread)}")
    register_everything()
    if FLAGS.registry_help:
        print(registry.help_text())
        return False
    return True


def require(*names: str) -> None:
    """Raises a usage error naming every required flag left empty."""
    missing = [f"--{name}" for name in names if not FLAGS[name].value]
    if missing:
        raise app.UsageError(f"missing required flag(s): {', '.join(missing)}")


def build_problem() -> Problem:
    """The registered --problem, built after --gin_param (which may configure it) is parsed."""
    problem_class = registry.problems.get(FLAGS.problem)
    gin.parse_config(FLAGS.gin_param)
    return problem_class()


def lm_training_sentences(alphabet: str) -> list[str]:
    """The LM tools' training text: the distinct sentences of --problem's language-model text and
    --text_file, in order (`t2t.lm.text_files`).

    Raises app.UsageError for missing or mismatched flags, ValueError for a problem without
    language-model text, text outside `alphabet` (naming where) or no text at all.
    """
    require("output")
    if not (FLAGS.problem or FLAGS.text_file):
        raise app.UsageError("give --problem with --data_dir, or --text_file, or both")
    if bool(FLAGS.problem) != bool(FLAGS.data_dir):
        raise app.UsageError("--problem and --data_dir go together")
    if FLAGS.gin_param and not FLAGS.problem:
        raise app.UsageError("--gin_param configures --problem; there is no --problem")
    problem, data_dir = None, os.path.expanduser(FLAGS.data_dir)
    if FLAGS.problem:
        problem = build_problem()
        if not isinstance(problem, LanguageModelTextSource):
            raise ValueError(f"problem {FLAGS.problem!r} has no language_model_text (it is no "
                             f"LanguageModelTextSource; the speech problems are); use --text_file")
        problem.load_vocabularies(data_dir)
    text_file = os.path.expanduser(FLAGS.text_file) if FLAGS.text_file else ""
    if text_file and not os.path.isfile(text_file):
        raise FileNotFoundError(f"--text_file={FLAGS.text_file}: no such file")
    return text_files.training_sentences(
        alphabet, source=problem, source_name=f"problem {FLAGS.problem}", data_dir=data_dir,
        text_file=text_file)


# Mistakes in what the user asked for: reported as one clear line, without a traceback.
USER_ERRORS = (registry.RegistryError, config.HparamsError, mesh.MeshError, FileNotFoundError,
               ValueError)


@contextlib.contextmanager
def user_errors_as_usage() -> Iterator[None]:
    """Turns USER_ERRORS raised inside into one line "error: ..." on stderr and exit code 1."""
    try:
        yield
    except USER_ERRORS as error:
        raise SystemExit(f"error: {error}") from error
