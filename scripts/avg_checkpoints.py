"""t2t-avg-all: averages the last N checkpoints of a run into a new, decodable run directory.

    t2t-avg-all --output_dir=~/t2t_train/enes --num_last=5 --avg_dir=~/t2t_train/enes/avg
    t2t-decoder --output_dir=~/t2t_train/enes/avg --decode_from_file=...
"""
from __future__ import annotations

import os
import re

from absl import flags, logging

from t2t import run_dir

from t2t.train import checkpoint_averaging
from t2t.scripts import common

# Read here, defined in common (listed in --help; common.start refuses the other shared flags).
# --output_dir: the training run whose checkpoints are averaged.
SHARED_FLAGS = ("output_dir",)
for _name in SHARED_FLAGS:
    flags.declare_key_flag(_name)

flags.DEFINE_integer("num_last", 5, "How many of the newest checkpoints to average.")
flags.DEFINE_string("avg_dir", "", "Where the averaged run is written (default: "
                    "<output_dir>/avg).")

FLAGS = flags.FLAGS


def main(argv: list[str]) -> None:
    if not common.start(argv, SHARED_FLAGS):
        return
    common.require("output_dir")
    avg_dir = FLAGS.avg_dir or os.path.join(FLAGS.output_dir, "avg")
    with common.user_errors_as_usage():
        paths = checkpoint_averaging.last_checkpoints(FLAGS.output_dir, FLAGS.num_last)
        model = run_dir.rebuild(FLAGS.output_dir).model
    logging.info("averaging %s", ", ".join(os.path.basename(path) for path in paths))
    checkpoint_averaging.average_into(model, paths)
    step = int(re.search(r"(\d+)$", paths[-1]).group(1))
    checkpoint_averaging.write_averaged_run(model, FLAGS.output_dir, avg_dir, step)


def run() -> None:
    """Console-script entry point of `t2t-avg-all`."""
    common.run(main, __name__)


if __name__ == "__main__":
    run()
