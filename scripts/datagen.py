r"""t2t-datagen: writes a problem's train/dev/test shards into --data_dir.

    t2t-datagen --problem=algorithmic_reverse --data_dir=~/t2t_data
    t2t-datagen --problem=algorithmic_reverse --data_dir=/tmp/d \
        --gin_param="AlgorithmicReverse.num_train = 1000"
    t2t-datagen --registry_help

Splits already complete in --data_dir are skipped; each missing split is written atomically.
"""
from __future__ import annotations

import os

import gin
from absl import app, flags

from t2t import registry
from t2t.scripts import common

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Defines the flags of this tool only (--t2t_usr_dir and --registry_help come from common).

    Called by `run`, not at import, so that importing this module next to t2t.scripts.trainer
    doesn't clash on the flag names they share.
    """
    flags.DEFINE_string("problem", "", "Registered name of the problem to generate.")
    flags.DEFINE_string("data_dir", "", "Directory to write the shards to.")
    flags.DEFINE_string("tmp_dir", "", "Scratch space for downloads and raw files "
                        "(default: <data_dir>/tmp).")
    flags.DEFINE_multi_string("gin_param", [], 'Gin binding, e.g. '
                              '"AlgorithmicReverse.num_train = 1000". Repeatable.')


def main(argv: list[str]) -> None:
    if not common.start(argv):
        return
    common.require("problem", "data_dir")
    with common.user_errors_as_usage():
        problem_class = registry.problems.get(FLAGS.problem)
        gin.parse_config(FLAGS.gin_param)
        problem = problem_class()
    data_dir = os.path.expanduser(FLAGS.data_dir)
    tmp_dir = os.path.expanduser(FLAGS.tmp_dir) if FLAGS.tmp_dir else os.path.join(data_dir, "tmp")
    with common.user_errors_as_usage():  # e.g. a missing or misaligned corpus file
        problem.generate_data(data_dir, tmp_dir)


def run() -> None:
    """Console-script entry point of `t2t-datagen`."""
    define_flags()
    app.run(main)


if __name__ == "__main__":
    run()
