"""Has a pre-trained backoff LM seen the sentences it is scored on? How much of each text the LM
already lists, and where on dev its WER gain comes from.

    python benchmarks/backoff_lm_overlap.py --backoff_lm=B --problem=speech_espeak_en \
        --data_dir=DATA --splits=train,dev,test --wordnet [--text_file=more.txt]
    python benchmarks/backoff_lm_overlap.py --backoff_lm=B --problem=speech_espeak_en \
        --data_dir=DATA --splits=dev --output_dir=RUN --lm=C.json --word_lm=W.json \
        --backoff_lm_weight=0.5 --beam_size=64 --lm_weight=1 --lm_bonus=2

First table, per text (a split's distinct transcripts; WordNet's example sentences; lines of
--text_file; at most --max_sentences of each, a seeded sample): the share of predicted words and
sentence ends whose full-order n-gram the LM lists (the word and its order − 1 words of history,
START counting as one), perplexity over the words it knows, the share it does not know, and the
share of sentences of 7 or more words whose every n-gram the LM lists (memorized text shows up
here, far above other text of the kind). Second table (with --output_dir, for the first of
--splits): the split decoded with the word LM alone and with the backoff LM mixed in, WER in bins
of each sentence's share of listed n-grams. A gain that came from sentences the LM has memorized
would sit in the top bin.
"""
from __future__ import annotations

import argparse
import math
import random

import numpy as np
import tensorflow as tf

import t2t.hparams  # noqa: F401  (registration)
import t2t.models  # noqa: F401
import t2t.problems  # noqa: F401
import t2t.train.trainer  # noqa: F401  (gin configurables of the saved config)
from lm_perplexity import transcripts
from t2t import run_dir
from t2t.metrics import error_rates
from t2t.lm.backoff_lm import BackoffLM
from t2t.lm.char_lm import CharNgramLM
from t2t.speech.prefix_search import ctc_prefix_beam_search
from t2t.data_gen import wordnet
from t2t.speech.transcripts import distinct_normalized
from t2t.speech.ctc_search import lm_characters
from t2t.speech.transcripts import BLANK_ID
from t2t.lm.word_lm import WordNgramLM
from t2t.lm.mixture import InterpolatedWordLM
from tune_lm import frame_log_probs

LONG_SENTENCE = 7
BINS = (0.0, 0.25, 0.5, 0.75, 1.01)


def listed_shares(lm: BackoffLM, sentence: str) -> tuple[int, int, float, int]:
    """(predicted symbols the LM knows, those whose full-order n-gram it lists, their summed
    natural log-probability, symbols it does not know) over the words and END of `sentence`."""
    known = listed = unknown = 0
    log_prob = 0.0
    history: list[str] = []
    for word in sentence.split() + [WordNgramLM.END]:
        order = lm.matched_order(history, word)
        if order == 0:
            unknown += 1
        else:
            known += 1
            listed += order == min(lm.order, len(history) + 2)  # START counts as history
            log_prob += lm.log_prob(history, word)
        history.append(word)
    return known, listed, log_prob, unknown


def overlap_row(name: str, lm: BackoffLM, sentences: list[str]) -> str:
    totals = np.zeros(4)
    long_sentences = fully_listed = 0
    for sentence in sentences:
        known, listed, log_prob, unknown = listed_shares(lm, sentence)
        totals += (known, listed, log_prob, unknown)
        if len(sentence.split()) >= LONG_SENTENCE:
            long_sentences += 1
            fully_listed += listed == known + unknown
    known, listed, log_prob, unknown = totals
    return (f"| {name} | {len(sentences)} | {100 * listed / known:.1f} | "
            f"{math.exp(-log_prob / known):.0f} | {100 * unknown / (known + unknown):.1f} | "
            f"{fully_listed} / {long_sentences} ({100 * fully_listed / max(long_sentences, 1):.1f})"
            f" |")


def sample(sentences: list[str], size: int) -> list[str]:
    return random.Random(0).sample(sentences, size) if 0 < size < len(sentences) else sentences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backoff_lm", required=True, help="ARPA file or CMU Sphinx binary")
    parser.add_argument("--problem", required=True)
    parser.add_argument("--data_dir", required=True)
    parser.add_argument("--splits", default="train,dev,test")
    parser.add_argument("--wordnet", action="store_true",
                        help="also WordNet's example sentences (wordnet-base)")
    parser.add_argument("--text_file", default="", help="also this text, one sentence per line")
    parser.add_argument("--max_sentences", type=int, default=2000, help="per text; 0 = all")
    parser.add_argument("--output_dir", default="", help="a CTC run: also decode the first split")
    parser.add_argument("--lm", default="", help="its character LM")
    parser.add_argument("--word_lm", default="", help="its word LM")
    parser.add_argument("--backoff_lm_weight", type=float, default=0.5)
    parser.add_argument("--beam_size", type=int, default=64)
    parser.add_argument("--lm_weight", type=float, default=1.0)
    parser.add_argument("--lm_bonus", type=float, default=2.0)
    args = parser.parse_args()
    if args.output_dir and not (args.lm and args.word_lm):
        parser.error("--output_dir decodes with --lm and --word_lm; give both")

    lm = BackoffLM.load(args.backoff_lm)
    texts = {f"{args.problem} {split}": list(dict.fromkeys(
        transcripts(args.problem, args.data_dir, split))) for split in args.splits.split(",")}
    if args.wordnet:
        texts["WordNet examples"] = distinct_normalized(wordnet.example_sentences())
    if args.text_file:
        with open(args.text_file, encoding="utf-8") as lines:
            texts[args.text_file] = distinct_normalized(lines)
    print(f"{args.backoff_lm}: {lm.order}-gram, {len(lm.vocabulary)} words\n")
    print(f"| text | sentences | full-order n-grams listed % | perplexity | not in vocabulary % "
          f"| sentences of ≥ {LONG_SENTENCE} words fully listed (%) |\n|---|---|---|---|---|---|")
    for name, sentences in texts.items():
        print(overlap_row(name, lm, sample(sentences, args.max_sentences)), flush=True)
    if args.output_dir:
        print_wer_by_listed_share(args, lm, args.splits.split(",")[0])


def print_wer_by_listed_share(args: argparse.Namespace, lm: BackoffLM, split: str) -> None:
    run = run_dir.rebuild(args.output_dir)
    tf.train.Checkpoint(model=run.model).read(
        tf.train.latest_checkpoint(args.output_dir)).expect_partial()
    log_probs, references = frame_log_probs(run, split, 32, 0)
    char_lm, word_lm = CharNgramLM.load(args.lm), WordNgramLM.load(args.word_lm)
    id_to_char = lm_characters(char_lm)
    hypotheses = {}
    for name, words in [("word LM", word_lm), ("+ backoff LM",
                                               InterpolatedWordLM(word_lm, lm,
                                                                  args.backoff_lm_weight))]:
        hypotheses[name] = [run.problem.decode_targets(ctc_prefix_beam_search(
            utterance, BLANK_ID, id_to_char, char_lm, args.lm_weight, args.lm_bonus,
            args.beam_size, word_lm=words).ids) for utterance in log_probs]
    shares = []
    for reference in references:
        known, listed, _, unknown = listed_shares(lm, reference)
        shares.append(listed / (known + unknown))
    print(f"\n{split}, beam {args.beam_size}, (lm_weight, lm_bonus) = ({args.lm_weight:g}, "
          f"{args.lm_bonus:g}), backoff LM weight {args.backoff_lm_weight:g}\n")
    print("| full-order n-grams listed | sentences | words | WER % word LM | WER % + backoff LM |\n"
          "|---|---|---|---|---|")
    for low, high in zip(BINS, BINS[1:]):
        rows = [i for i, share in enumerate(shares) if low <= share < high]
        if not rows:
            continue
        chosen = [references[i] for i in rows]
        rates = [100 * error_rates.word_error_rate([hypotheses[name][i] for i in rows], chosen)
                 for name in hypotheses]
        print(f"| {low:.0%}–{min(high, 1):.0%} | {len(rows)} | "
              f"{sum(len(r.split()) for r in chosen)} | {rates[0]:.1f} | {rates[1]:.1f} |")


if __name__ == "__main__":
    main()
