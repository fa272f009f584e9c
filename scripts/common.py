"""What the t2t command-line tools share: registering built-ins and user code, --registry_help."""
from __future__ import annotations

import importlib

import contextlib
from typing import Iterator

from absl import app, flags

from t2t import config, registry

from t2t.train import mesh

flags.DEFINE_string("t2t_usr_dir", "", "Folder with an __init__.py whose imports register the "
                    "user's own problems, models and hparams sets.")
flags.DEFINE_bool("registry_help", False, "List every registered problem, model and hparams set, "
                  "then exit.")

FLAGS = flags.FLAGS

# The core's gin configurables that a saved config.gin binds (TrainHparams, Adam,
# learning_rate_schedule), so that every tool can parse that file, then the content folders.
BUILT_IN_PACKAGES = ("t2t.train.hparams", "t2t.train.optimizers", "t2t.train.learning_rate",
                     "t2t.problems", "t2t.models", "t2t.hparams")


def register_everything() -> None:
    """Imports the built-ins (problems, models, hparams sets, core configurables) and
    --t2t_usr_dir so that they register."""
    for package in BUILT_IN_PACKAGES:
        importlib.import_module(package)
    if FLAGS.t2t_usr_dir:
        registry.import_usr_dir(FLAGS.t2t_usr_dir)


def start(argv: list[str]) -> bool:
    """What every tool does first: refuse stray arguments, register the built-ins and
    --t2t_usr_dir, answer --registry_help. Returns False when the tool has nothing left to do."""
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
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
