r"""t2t-datagen: writes a problem's train/dev/test shards into --data_dir.

    t2t-datagen --problem=algorithmic_reverse --data_dir=~/t2t_data
    t2t-datagen --problem=algorithmic_reverse --data_dir=/tmp/d \
        --gin_param="AlgorithmicReverse.num_train = 1000"
    t2t-datagen --registry_help

Splits already complete in --data_dir are skipped; each missing split is written atomically.
"""
from __future__ import annotations

import os

from absl import flags

from t2t.scripts import common

# Read here, defined in common (listed in --help; common.start refuses the other shared flags).
SHARED_FLAGS = ("problem", "data_dir", "tmp_dir", "gin_param")
for _name in SHARED_FLAGS:
    flags.declare_key_flag(_name)

FLAGS = flags.FLAGS


def main(argv: list[str]) -> None:
    if not common.start(argv, SHARED_FLAGS):
        return
    common.require("problem", "data_dir")
    with common.user_errors_as_usage():
        problem = common.build_problem()
    data_dir = os.path.expanduser(FLAGS.data_dir)
    tmp_dir = os.path.expanduser(FLAGS.tmp_dir) if FLAGS.tmp_dir else os.path.join(data_dir, "tmp")
    with common.user_errors_as_usage():  # e.g. a missing or misaligned corpus file
        problem.generate_data(data_dir, tmp_dir)


def run() -> None:
    """Console-script entry point of `t2t-datagen`."""
    common.run(main, __name__)


if __name__ == "__main__":
    run()
