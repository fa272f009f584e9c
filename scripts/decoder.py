"""t2t-decoder: decodes with a model trained by t2t-trainer.

    t2t-decoder --output_dir=~/t2t_train/reverse --data_dir=~/t2t_data --decode_split=test
    t2t-decoder --output_dir=... --decode_from_file=in.txt --decode_to_file=out.txt \
        --decode_hparams="beam_size=4,alpha=0.6"
    t2t-decoder --output_dir=... --decode_interactive

The problem, model and every hyperparameter come from <output_dir>/config.gin, written at training
time, so a model trained with overrides decodes without repeating them; so does --data_dir (the
shards for --decode_split, the vocabularies) unless given.
"""
from __future__ import annotations

import os
import sys
from typing import TextIO

import tensorflow as tf
from absl import app, flags, logging

from t2t import run_dir

from t2t.data import atomic_files

from t2t.decode import inference
from t2t.decode.params import parse_decode_hparams
from t2t.scripts import common

# Read here, defined in common (listed in --help; common.start refuses the other shared flags).
SHARED_FLAGS = ("output_dir", "data_dir")
for _name in SHARED_FLAGS:
    flags.declare_key_flag(_name)

flags.DEFINE_string("checkpoint_path", "", "Checkpoint to decode with (default: the latest in "
                    "--output_dir).")
flags.DEFINE_string("decode_hparams", "", 'Decoding parameters, "beam_size=4,alpha=0.6".')
flags.DEFINE_string("decode_from_file", "", "Decode each line of this file.")
flags.DEFINE_string("decode_to_file", "", "Write one decoded line per input here (default: "
                    "stdout).")
flags.DEFINE_bool("decode_interactive", False, "Read inputs from stdin, one per line.")
flags.DEFINE_string("decode_split", "", "Decode this split of the problem's data (train, dev, "
                    "test) and report the problem's metrics against its references.")
flags.DEFINE_string("decode_reference", "", "With --decode_from_file: references, one per line; "
                    "the problem's metrics (e.g. sacreBLEU) are printed.")
flags.DEFINE_integer("decode_max_examples", 0, "With --decode_split: decode only the first N.")

FLAGS = flags.FLAGS


def main(argv: list[str]) -> None:
    if not common.start(argv, SHARED_FLAGS):
        return
    common.require("output_dir")
    sources = [FLAGS.decode_from_file, FLAGS.decode_interactive, FLAGS.decode_split]
    if sum(bool(source) for source in sources) != 1:
        raise app.UsageError("give exactly one of --decode_from_file, --decode_interactive, "
                             "--decode_split")
    with common.user_errors_as_usage():
        decoder = _build_decoder()
    if FLAGS.decode_split:
        _decode_split(decoder)
    elif FLAGS.decode_interactive:
        _decode_interactive(decoder)
    else:
        _decode_file(decoder)


def _build_decoder() -> inference.Inference:
    problem, model, FLAGS.data_dir = run_dir.rebuild(FLAGS.output_dir, FLAGS.data_dir)
    checkpoint_path = FLAGS.checkpoint_path or tf.train.latest_checkpoint(FLAGS.output_dir)
    if not checkpoint_path:
        raise FileNotFoundError(f"no checkpoint in --output_dir={FLAGS.output_dir}")
    status = tf.train.Checkpoint(model=model).read(checkpoint_path)
    status.expect_partial().assert_existing_objects_matched()
    logging.info("decoding with %s (%s on %s)", checkpoint_path, type(model).__name__,
                 problem.name)
    return inference.Inference(problem, model, parse_decode_hparams(FLAGS.decode_hparams,
                                                                    model.DECODE_PARAMS))


def _decode_split(decoder: inference.Inference) -> None:
    hypotheses, references = decoder.decode_split(FLAGS.data_dir, FLAGS.decode_split,
                                                  FLAGS.decode_max_examples)
    if FLAGS.decode_to_file:
        _write_lines(hypotheses, FLAGS.decode_to_file)
    _print_metrics(decoder, FLAGS.decode_split, hypotheses, references)


def _decode_file(decoder: inference.Inference) -> None:
    with common.user_errors_as_usage():
        lines = _read_lines(FLAGS.decode_from_file, "decode_from_file")
        references = (_read_lines(FLAGS.decode_reference, "decode_reference")
                      if FLAGS.decode_reference else None)
        if references is not None and len(references) != len(lines):
            raise ValueError(f"--decode_reference={FLAGS.decode_reference} has {len(references)} "
                             f"lines but --decode_from_file={FLAGS.decode_from_file} has "
                             f"{len(lines)}")
    with common.user_errors_as_usage():  # e.g. an unknown symbol or an unreadable wav
        hypotheses = decoder.decode_texts(lines)
    _write_lines(hypotheses, FLAGS.decode_to_file)
    if references is not None:
        # Decodes without --decode_to_file are on stdout; keep the metrics line out of them.
        _print_metrics(decoder, FLAGS.decode_reference, hypotheses, references,
                       sys.stdout if FLAGS.decode_to_file else sys.stderr)


def _print_metrics(decoder: inference.Inference, source: str, hypotheses: list[str],
                   references: list[str], stream: TextIO = sys.stdout) -> None:
    """Prints "<source>: N examples  metric value ..." (e.g. exact_match, BLEU)."""
    metrics = decoder.problem.decode_metrics(hypotheses, references)
    print(f"{source}: {len(hypotheses)} examples  " +
          "  ".join(f"{name} {value:.4f}" for name, value in metrics.items()), file=stream)


def _decode_interactive(decoder: inference.Inference) -> None:
    print("Type an input and press enter; Ctrl-D ends.", file=sys.stderr)
    for line in sys.stdin:
        line = line.rstrip("\n")
        try:
            print(decoder.decode_texts([line])[0], flush=True)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)


def _read_lines(path: str, flag: str) -> list[str]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--{flag}={path}: no such file")
    with open(path, encoding="utf-8") as file:
        return [line.rstrip("\n") for line in file]


def _write_lines(lines: list[str], path: str) -> None:
    """Writes lines to `path` atomically (a temp file renamed into place), or to stdout."""
    if not path:
        sys.stdout.write("".join(f"{line}\n" for line in lines))
        return
    atomic_files.write_text(path, "".join(f"{line}\n" for line in lines))


def run() -> None:
    """Console-script entry point of `t2t-decoder`."""
    common.run(main, __name__)


if __name__ == "__main__":
    run()
