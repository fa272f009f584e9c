"""Decode quality against training wall time: every kept checkpoint of a run, scored on a split.

    t2t-trainer ... --output_dir=RUN --checkpoint_every=500 --keep_checkpoints=1000 \
        --eval_every=1000000 2> RUN.log
    python benchmarks/quality_curve.py --output_dir=RUN --log=RUN.log --split=test \
        --decode_hparams="beam_size=4,alpha=0.6"

The wall time of a checkpoint is read from the trainer's log: the time of its "step N/..."
progress line minus the time of the "batch: ..." line printed when training starts (so data
generation and start-up are excluded; run with --log_every dividing --checkpoint_every).
Prints a Markdown table: step, minutes of training, then the problem's decode metrics.
"""
from __future__ import annotations

import argparse
import datetime
import re

import tensorflow as tf

import t2t.hparams  # noqa: F401  (registration)
import t2t.models  # noqa: F401
import t2t.problems  # noqa: F401
import t2t.train.trainer  # noqa: F401  (gin configurables of the saved config)
from t2t import run_dir
from t2t.decode import inference
from t2t.decode.params import parse_decode_hparams

LOG_TIME = re.compile(r"^I\d{4} (\d\d:\d\d:\d\d\.\d+)")


def training_minutes(log_path: str) -> dict[int, float]:
    """step → minutes since training started, from the progress lines of a trainer log."""
    start, minutes = None, {}
    with open(log_path, encoding="utf-8") as log:
        for line in log:
            stamp = LOG_TIME.match(line)
            if not stamp:
                continue
            moment = datetime.datetime.strptime(stamp.group(1), "%H:%M:%S.%f")
            if start is None and "] batch: " in line:
                start = moment
            step = re.search(r"\] step (\d+)/\d+ ", line)
            if start is not None and step:
                seconds = (moment - start).total_seconds() % 86400  # runs may pass midnight
                minutes[int(step.group(1))] = seconds / 60
    return minutes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--log", required=True, help="stderr of the t2t-trainer run")
    parser.add_argument("--split", default="test")
    parser.add_argument("--max_examples", type=int, default=0)
    parser.add_argument("--decode_hparams", default="")
    args = parser.parse_args()

    problem, model, data_dir = run_dir.rebuild(args.output_dir)
    decoder = inference.Inference(problem, model,
                                  parse_decode_hparams(args.decode_hparams,
                                                       model.DECODE_PARAMS))
    minutes = training_minutes(args.log)
    state = tf.train.get_checkpoint_state(args.output_dir)
    rows = []
    for path in state.all_model_checkpoint_paths:
        step = int(path.rsplit("-", 1)[1])
        tf.train.Checkpoint(model=model).read(path).expect_partial() \
            .assert_existing_objects_matched()
        hypotheses, references = decoder.decode_split(data_dir, args.split, args.max_examples)
        metrics = problem.decode_metrics(hypotheses, references)
        rows.append((step, minutes.get(step, float("nan")), metrics))
        print(f"step {step}: {metrics}", flush=True)
    names = list(rows[0][2])
    print(f"\n| step | training minutes | {' | '.join(f'{args.split} {n}' for n in names)} |")
    print("|---|---|" + "---|" * len(names))
    for step, elapsed, metrics in rows:
        print(f"| {step} | {elapsed:.1f} | " + " | ".join(f"{metrics[n]:.2f}" for n in names) + " |")


if __name__ == "__main__":
    main()
