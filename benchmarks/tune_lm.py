"""Chooses the LM fusion weights of a CTC run on a dev split: WER for every (lm_weight, lm_bonus)
pair of a grid, with a character LM and optionally word LMs (several of either, comma-separated,
are each tried with every pair, e.g. to compare smoothings or lexicons).

    python benchmarks/tune_lm.py --output_dir=RUN --lm=LM.json [--word_lm=WORDS.json,...] \
        --split=dev --lm_weights=0.25,0.5,1 --lm_bonuses=0,1,2

The network runs once over the split; each grid point only reruns the prefix beam search
(`t2t.speech.prefix_search`) over the saved log-probabilities, which is what
`t2t-decoder --decode_hparams="beam_size=B,lm_path=LM,lm_weight=A,lm_bonus=B"` computes (with
`word_lm_path=WORDS` for --word_lm, and `backoff_lm_path=B,backoff_lm_weight=λ` for --backoff_lm
with each of --backoff_lm_weights). Prints a Markdown table (WER and CER in %) and the best
pair. Tune on dev; report test with the pair chosen here. With --adapt_steps, each utterance's
log-probabilities come from the model adapted to it (`t2t.speech.adaptation`), as
`t2t-decoder --decode_hparams="...,adapt_steps=S,adapt_learning_rate=R"` decodes it.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools

import numpy as np
import tensorflow as tf

import t2t.hparams  # noqa: F401  (registration)
import t2t.models  # noqa: F401
import t2t.problems  # noqa: F401
import t2t.train.trainer  # noqa: F401  (gin configurables of the saved config)
from t2t import run_dir
from t2t.metrics import error_rates
from t2t.lm.backoff_lm import BackoffLM
from t2t.lm.char_lm import CharNgramLM
from t2t.speech.prefix_search import ctc_prefix_beam_search
from t2t.speech.ctc_search import lm_characters
from t2t.speech.transcripts import BLANK_ID
from t2t.speech.adaptation import UtteranceAdapter
from t2t.lm.word_lm import WordNgramLM
from t2t.lm.mixture import InterpolatedWordLM


def frame_log_probs(run: run_dir.Run, split: str, batch_size: int, max_examples: int,
                    adapter: UtteranceAdapter | None = None) -> tuple[list[np.ndarray], list[str]]:
    """([frames, vocab] log-probabilities of each utterance, its reference transcript); with an
    adapter, utterances go one at a time, each through the model adapted to it."""
    dataset = run.problem.dataset(split, run.data_dir)
    if max_examples:
        dataset = dataset.take(max_examples)
    dataset = dataset.padded_batch(1 if adapter else batch_size)
    network = tf.function(lambda inputs: run.model.decoding_logits({"inputs": inputs}),
                          reduce_retracing=True)
    log_probs, references = [], []
    for batch in dataset.as_numpy_iterator():
        inputs = tf.constant(batch["inputs"])
        with adapter.adapted(inputs) if adapter else contextlib.nullcontext():
            logits, lengths = network(inputs)
        for row, length in zip(tf.nn.log_softmax(logits).numpy(), lengths.numpy()):
            log_probs.append(row[:length])
        references += [run.problem.decode_targets(ids.tolist()) for ids in batch["targets"]]
    return log_probs, references


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--checkpoint_path", default="", help="default: the latest")
    parser.add_argument("--lm", required=True,
                        help="character LMs written by t2t-char-lm, comma-separated")
    parser.add_argument("--word_lm", default="",
                        help="word LMs written by t2t-word-lm, comma-separated")
    parser.add_argument("--backoff_lm", default="",
                        help="a backoff LM (ARPA or CMU Sphinx binary) to interpolate with each "
                             "--word_lm")
    parser.add_argument("--backoff_lm_weights", default="0.5",
                        help="its weights to try, comma-separated, each in (0, 1)")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--beam_size", type=int, default=16)
    parser.add_argument("--lm_weights", default="0,0.25,0.5,0.75,1")
    parser.add_argument("--lm_bonuses", default="0,0.5,1,2,3")
    parser.add_argument("--max_examples", type=int, default=0, help="0 = the whole split")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--adapt_steps", type=int, default=0,
                        help="test-time adaptation steps per utterance (0: none)")
    parser.add_argument("--adapt_learning_rate", type=float, default=0.0)
    args = parser.parse_args()

    run = run_dir.rebuild(args.output_dir)
    checkpoint = args.checkpoint_path or tf.train.latest_checkpoint(args.output_dir)
    tf.train.Checkpoint(model=run.model).read(checkpoint).expect_partial()
    adapter = (UtteranceAdapter(run.model, args.adapt_steps, args.adapt_learning_rate)
               if args.adapt_steps else None)
    log_probs, references = frame_log_probs(run, args.split, args.batch_size, args.max_examples,
                                            adapter)
    char_lms = {path: CharNgramLM.load(path) for path in args.lm.split(",")}
    word_lms = {path: WordNgramLM.load(path) for path in args.word_lm.split(",") if path} or {
        "": None}
    if args.backoff_lm:
        if not args.word_lm:
            parser.error("--backoff_lm is interpolated with a --word_lm; give one")
        backoff_lm = BackoffLM.load(args.backoff_lm)
        word_lms = {f"{path} + {weight:g} · {args.backoff_lm}":
                    InterpolatedWordLM(word_lm, backoff_lm, weight)
                    for path, word_lm in word_lms.items()
                    for weight in map(float, args.backoff_lm_weights.split(","))}
    id_to_char = lm_characters(next(iter(char_lms.values())))
    adaptation = (f", adapted ({args.adapt_steps} steps at {args.adapt_learning_rate:g})"
                  if adapter else "")
    print(f"{checkpoint}, {args.split}: {len(references)} utterances, beam {args.beam_size}"
          f"{adaptation}\n")
    print("| character LM | word LM | lm_weight | lm_bonus | WER % | CER % |\n"
          "|---|---|---|---|---|---|")
    results = []
    for (char_path, lm), (word_path, word_lm), weight, bonus in itertools.product(
            char_lms.items(), word_lms.items(), map(float, args.lm_weights.split(",")),
            map(float, args.lm_bonuses.split(","))):
        if lm_characters(lm) != id_to_char:
            raise ValueError(f"--lm={char_path}: another alphabet than {next(iter(char_lms))}'s")
        hypotheses = [run.problem.decode_targets(ctc_prefix_beam_search(
            utterance, BLANK_ID, id_to_char, lm, weight, bonus, args.beam_size,
            word_lm=word_lm).ids)
            for utterance in log_probs]
        word_errors = error_rates.word_error_rate(hypotheses, references)
        results.append((word_errors, weight, bonus, char_path, word_path))
        print(f"| {char_path} | {word_path or '-'} | {weight:g} | {bonus:g} "
              f"| {100 * word_errors:.1f} "
              f"| {100 * error_rates.character_error_rate(hypotheses, references):.1f} |", flush=True)
    word_errors, weight, bonus, char_path, word_path = min(results)
    print(f"\nbest on {args.split}: character LM {char_path}, "
          f"{f'word LM {word_path}, ' if word_path else ''}"
          f"lm_weight={weight:g},lm_bonus={bonus:g} (WER {100 * word_errors:.1f} %)")


if __name__ == "__main__":
    main()
