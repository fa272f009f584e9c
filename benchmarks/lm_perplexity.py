"""Perplexity of character LMs on a split's transcripts: how well each predicts text it never saw
(per predicted symbol: characters and sentence ends, as `t2t-char-lm` logs for its training text).

    python benchmarks/lm_perplexity.py --problem=speech_espeak_en --data_dir=DATA --split=dev \
        --lm=lm7_wb.json,lm7_kn.json

Prints a Markdown table: LM file, order, smoothing, perplexity. Choose LMs on dev; a split's
transcripts are read from its shards (the train split's are what the problem's LMs learn from, so
its perplexity flatters them).
"""
from __future__ import annotations

import argparse
import math

import tensorflow as tf

import t2t.problems  # noqa: F401  (registration)
from t2t import registry
from t2t.lm.char_lm import CharNgramLM
from t2t.data import shards


def transcripts(problem_name: str, data_dir: str, split: str) -> list[str]:
    """The normalized transcripts of a split's shards, in shard order.

    Raises FileNotFoundError if the split is missing or incomplete.
    """
    if not shards.split_is_complete(data_dir, problem_name, split):
        raise FileNotFoundError(f"no complete {split} data for problem {problem_name!r} in "
                                f"{data_dir!r}")
    problem = registry.problems.get(problem_name)()
    problem.load_vocabularies(data_dir)
    spec = {"targets": tf.io.RaggedFeature(tf.int64)}
    records = tf.data.TFRecordDataset(shards.split_files(data_dir, problem_name, split))
    targets = records.map(lambda record: tf.io.parse_single_example(record, spec)["targets"])
    return [problem.decode_targets(ids.tolist()) for ids in targets.as_numpy_iterator()]


def perplexity(lm: CharNgramLM, sentences: list[str]) -> float:
    """exp of the mean negative log-probability per predicted symbol (characters, then END)."""
    log_prob = sum(map(lm.sentence_log_prob, sentences))
    return math.exp(-log_prob / sum(len(sentence) + 1 for sentence in sentences))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", required=True)
    parser.add_argument("--data_dir", required=True)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--lm", required=True,
                        help="character LMs written by t2t-char-lm, comma-separated")
    args = parser.parse_args()

    sentences = transcripts(args.problem, args.data_dir, args.split)
    print(f"{args.problem} {args.split}: {len(sentences)} transcripts, "
          f"{sum(map(len, sentences))} characters\n")
    print("| character LM | order | smoothing | perplexity |\n|---|---|---|---|")
    for path in args.lm.split(","):
        lm = CharNgramLM.load(path)
        print(f"| {path} | {lm.order} | {lm.smoothing} | {perplexity(lm, sentences):.3f} |",
              flush=True)


if __name__ == "__main__":
    main()
