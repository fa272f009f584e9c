"""Compares t2t's CTC prefix search with LM fusion (`t2t.speech.ctc_search`) and its n-gram LMs
with the libraries speech practitioners use instead: pyctcdecode and flashlight-text's decoders
over KenLM models. Every decoder reads the same log-probabilities of a run's dev split; each
one's fusion weights are chosen on that split; then each chosen decoder is run again in fresh
processes, one at a time, to time it and measure its peak memory. Prints Markdown tables.

    python benchmarks/ctc_decoders.py --output_dir=RUN --split=dev \
        --char_lm=LM.json --word_lm=WORDS.json \
        --backoff_lm=/usr/share/pocketsphinx/model/en-us/en-us.lm.bin \
        --kenlm=words3.arpa,words3_lexicon.arpa,en-us.arpa --kenlm_char=chars7.arpa \
        --lexicon=lexicon.txt --lm_text=lm_text.txt --beam_size=64

Decoders (--decoders picks families: greedy, ours, pyctcdecode, flashlight):
- greedy: best class per frame, repeats merged, blanks dropped (the floor).
- ours: `ctc_prefix_beam_search` with the character LM (--char_lm), + the word LM (--word_lm),
  + the word LM interpolated with --backoff_lm (weight --backoff_lm_weight); grid
  --lm_weights x --lm_bonuses (a per-character bonus).
- pyctcdecode: its beam search with each --kenlm (a word ARPA model; the unigram list is the
  ARPA's); grid --alphas x --betas (a per-word bonus).
- flashlight: flashlight-text's LexiconDecoder with each --kenlm and a lexicon (the ARPA's words,
  plus --lexicon's), and its LexiconFreeDecoder with --kenlm_char (a KenLM model over characters,
  a space written "|"); grid --alphas x --flashlight_word_scores (per word, lexicon) or
  --flashlight_sil_scores (per space, lexicon-free).

The peers (kenlm, pyctcdecode, flashlight-text) are not t2t dependencies; they are imported only
by the decoders that use them. The log-probabilities are cached in --cache (an .npz file) so that
the timing processes load only the log-probabilities, the LM and the decoder: their peak RSS is
that of a process that only loads the LM and decodes. Classes: 0 is the CTC blank, 1 EOS (never
emitted: its logit is -1e9, as `DeepSpeech2.decoding_logits` sets it), 2.. the alphabet.

Never choose anything on the test split: with --report_split=test, each decoder is scored once
there with the weights chosen on --split.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import functools
import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ALPHABET = " 'abcdefghijklmnopqrstuvwxyz"  # class 2 + i is ALPHABET[i]
BLANK_ID, EOS_ID, FIRST_CHARACTER_ID = 0, 1, 2
NUM_CLASSES = FIRST_CHARACTER_ID + len(ALPHABET)
SPACE_TOKEN = "|"  # how a space is written in a character-level KenLM model


# -- the t2t modules (imported where used, so that a timing process imports only its decoder's)
def _ours():
    from t2t.lm.backoff_lm import BackoffLM
    from t2t.lm.char_lm import CharNgramLM
    from t2t.lm.mixture import InterpolatedWordLM
    from t2t.lm.word_lm import WordNgramLM
    from t2t.speech.prefix_search import ctc_prefix_beam_search
    return CharNgramLM, WordNgramLM, BackoffLM, InterpolatedWordLM, ctc_prefix_beam_search


def _error_rates(hypotheses: list[str], references: list[str]) -> tuple[float, float]:
    from t2t.metrics.error_rates import character_error_rate, word_error_rate
    return word_error_rate(hypotheses, references), character_error_rate(hypotheses, references)


def _network_log_probs(output_dir: str, split: str, batch_size: int,
                       max_examples: int) -> tuple[list[np.ndarray], list[str]]:
    import tensorflow as tf
    from tune_lm import frame_log_probs  # registers problems, models and hparams too

    from t2t import run_dir
    run = run_dir.rebuild(output_dir)
    checkpoint = tf.train.latest_checkpoint(output_dir)
    tf.train.Checkpoint(model=run.model).read(checkpoint).expect_partial()
    spelled = run.problem.decode_targets(list(range(FIRST_CHARACTER_ID, NUM_CLASSES)))
    if spelled != ALPHABET:
        raise ValueError(f"{output_dir}: classes {FIRST_CHARACTER_ID}.. spell {spelled!r}, "
                         f"not {ALPHABET!r}")
    print(f"{checkpoint}, {split}", file=sys.stderr)
    return frame_log_probs(run, split, batch_size, max_examples)


# -- log-probabilities, cached
def save_log_probs(path: str, log_probs: list[np.ndarray], references: list[str]) -> None:
    lengths = np.array([len(row) for row in log_probs])
    np.savez(path, log_probs=np.concatenate(log_probs).astype(np.float32), lengths=lengths,
             references=np.array(references, dtype=object))


def load_log_probs(path: str) -> tuple[list[np.ndarray], list[str]]:
    with np.load(path, allow_pickle=True) as data:
        rows = np.split(data["log_probs"], np.cumsum(data["lengths"])[:-1])
        return rows, [str(text) for text in data["references"]]


# -- decoders: a spec (a JSON-able dict) → a function from [frames, classes] log-probs to text
def ids_to_text(ids) -> str:
    return "".join(ALPHABET[i - FIRST_CHARACTER_ID] for i in ids if i >= FIRST_CHARACTER_ID)


def greedy(log_probs: np.ndarray) -> str:
    best = np.argmax(log_probs, axis=1)
    keep = (best != BLANK_ID) & np.concatenate([[True], best[1:] != best[:-1]])
    return ids_to_text(best[keep])


@functools.lru_cache(maxsize=None)
def _load_ours(kind: str, path: str):
    char_lm_class, word_lm_class, backoff_lm_class, _, _ = _ours()
    return {"char": char_lm_class, "word": word_lm_class, "backoff": backoff_lm_class}[kind].load(
        path)


def _ours_decoder(spec: dict):
    _, _, _, interpolated_class, search = _ours()
    lm = _load_ours("char", spec["char_lm"])
    if lm.alphabet != ALPHABET:
        raise ValueError(f"{spec['char_lm']}: alphabet {lm.alphabet!r}, not {ALPHABET!r}")
    word_lm = _load_ours("word", spec["word_lm"]) if spec.get("word_lm") else None
    if spec.get("backoff_lm"):
        word_lm = interpolated_class(word_lm, _load_ours("backoff", spec["backoff_lm"]),
                                     spec["backoff_lm_weight"])
    id_to_char = {FIRST_CHARACTER_ID + i: char for i, char in enumerate(ALPHABET)}
    return lambda log_probs: ids_to_text(search(
        log_probs, BLANK_ID, id_to_char, lm, spec["lm_weight"], spec["lm_bonus"],
        spec["beam_size"], word_lm=word_lm).ids)


def arpa_unigrams(path: str) -> list[str]:
    """The words of an ARPA file's 1-grams section (<s>, </s> and <unk> left out)."""
    words, in_unigrams = [], False
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if line.startswith("\\"):
                if in_unigrams:
                    break
                in_unigrams = line == "\\1-grams:"
            elif in_unigrams and line:
                words.append(line.split()[1])
    return [word for word in words if word not in ("<s>", "</s>", "<unk>")]


@functools.lru_cache(maxsize=None)
def _pyctcdecode_decoder_for(kenlm_path: str):
    import kenlm
    from pyctcdecode.alphabet import Alphabet
    from pyctcdecode.decoder import BeamSearchDecoderCTC
    from pyctcdecode.language_model import LanguageModel
    # Labels by class: "" is the blank, "#" stands for EOS (never emitted, its logit is -1e9).
    labels = ["", "#", *ALPHABET]
    language_model = LanguageModel(kenlm.Model(kenlm_path), arpa_unigrams(kenlm_path))
    return BeamSearchDecoderCTC(Alphabet.build_alphabet(labels), language_model)


def _pyctcdecode_decoder(spec: dict):
    decoder = _pyctcdecode_decoder_for(spec["kenlm"])
    decoder.reset_params(alpha=float(spec["alpha"]), beta=float(spec["beta"]))
    return lambda log_probs: " ".join(
        decoder.decode(log_probs, beam_width=spec["beam_size"]).split())


@functools.lru_cache(maxsize=None)
def _flashlight_lm(path: str, lexicon_path: str, lexicon_free: bool):
    """(KenLM wrapper, token dictionary, word dictionary, trie or None)."""
    from flashlight.lib.text.decoder import SmearingMode, Trie
    from flashlight.lib.text.decoder.kenlm import KenLM
    from flashlight.lib.text.dictionary import Dictionary, create_word_dict
    tokens = ["<blank>", "<eos>", SPACE_TOKEN, *ALPHABET[1:]]
    token_dict = Dictionary(tokens)
    if lexicon_free:
        return KenLM(path, token_dict), token_dict, None, None
    words = set(arpa_unigrams(path))
    if lexicon_path:
        with open(lexicon_path, encoding="utf-8") as lines:
            words.update(line.strip() for line in lines if line.strip())
    # Each spelling ends with the space token, as wav2letter's character lexicons do: a word
    # is complete only where the acoustic model puts a space (or the utterance ends).
    lexicon = {word: [[*word, SPACE_TOKEN]] for word in sorted(words)
               if set(word) <= set(ALPHABET[1:])}
    lexicon["<unk>"] = [["<unk>"]]  # create_word_dict needs it; never spelled
    word_dict = create_word_dict(lexicon)
    lm = KenLM(path, word_dict)
    trie = Trie(len(tokens), tokens.index(SPACE_TOKEN))
    start = lm.start(False)
    for word, spellings in lexicon.items():
        if word == "<unk>":
            continue
        _, score = lm.score(start, word_dict.get_index(word))
        for spelling in spellings:
            trie.insert([token_dict.get_index(token) for token in spelling],
                        word_dict.get_index(word), score)
    trie.smear(SmearingMode.MAX)
    return lm, token_dict, word_dict, trie


def _flashlight_decoder(spec: dict):
    from flashlight.lib.text.decoder import (CriterionType, LexiconDecoder,
                                             LexiconDecoderOptions, LexiconFreeDecoder,
                                             LexiconFreeDecoderOptions)
    lexicon_free = spec["kind"] == "flashlight_lexicon_free"
    lm, _, word_dict, trie = _flashlight_lm(spec["kenlm"], spec.get("lexicon", ""), lexicon_free)
    space = FIRST_CHARACTER_ID + ALPHABET.index(" ")
    if lexicon_free:
        options = LexiconFreeDecoderOptions(
            beam_size=spec["beam_size"], beam_size_token=NUM_CLASSES, beam_threshold=25.0,
            lm_weight=spec["alpha"], sil_score=spec["beta"], log_add=False,
            criterion_type=CriterionType.CTC)
        decoder = LexiconFreeDecoder(options, lm, space, BLANK_ID, [])
    else:
        options = LexiconDecoderOptions(
            beam_size=spec["beam_size"], beam_size_token=NUM_CLASSES, beam_threshold=25.0,
            lm_weight=spec["alpha"], word_score=spec["beta"], unk_score=float("-inf"),
            sil_score=0.0, log_add=False, criterion_type=CriterionType.CTC)
        decoder = LexiconDecoder(options, trie, lm, space, BLANK_ID,
                                 word_dict.get_index("<unk>"), [], False)

    def decode(log_probs: np.ndarray) -> str:
        if not lexicon_free:  # a last space frame completes the last word
            end = np.full([1, NUM_CLASSES], -30.0)
            end[0, space] = 0.0
            log_probs = np.concatenate([log_probs, end])
        emissions = np.ascontiguousarray(log_probs, dtype=np.float32)
        best = decoder.decode(emissions.ctypes.data, *emissions.shape)[0]
        if lexicon_free:
            ids = [i for i, _ in itertools.groupby(best.tokens) if i != BLANK_ID]
            return " ".join(ids_to_text(i for i in ids if i >= 0).split())
        return " ".join(word_dict.get_entry(i) for i in best.words if i >= 0)
    return decode


def make_decoder(spec: dict):
    kind = spec["kind"]
    if kind == "greedy":
        return greedy
    if kind == "ours":
        return _ours_decoder(spec)
    if kind == "pyctcdecode":
        return _pyctcdecode_decoder(spec)
    if kind.startswith("flashlight"):
        return _flashlight_decoder(spec)
    raise ValueError(f"unknown decoder kind {kind!r}")


# -- the grid search, in worker processes that each load the log-probabilities once
_LOG_PROBS: list[np.ndarray] = []


def _init_worker(cache: str) -> None:
    _LOG_PROBS[:] = load_log_probs(cache)[0]


def _decode_all(spec: dict) -> list[str]:
    decode = make_decoder(spec)
    return [decode(row) for row in _LOG_PROBS]


def grid_search(specs: list[dict], cache: str, references: list[str],
                jobs: int) -> list[tuple[dict, float, float]]:
    """(spec, WER, CER) of each spec, decoded in `jobs` processes."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, context, _init_worker, (cache,)) as pool:
        hypotheses = list(pool.map(_decode_all, specs))
    return [(spec, *_error_rates(hyps, references)) for spec, hyps in zip(specs, hypotheses)]


# -- timing and memory: one fresh process per run that only loads its LM and decodes
def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run_worker(spec_json: str, cache: str, output: str) -> None:
    spec = json.loads(spec_json)
    log_probs, _ = load_log_probs(cache)
    before = _rss_kib("VmRSS")
    start = time.perf_counter()
    decode = make_decoder(spec)
    loaded = time.perf_counter()
    hypotheses = [decode(row) for row in log_probs]
    done = time.perf_counter()
    with open(output, "w") as file:
        json.dump({"hypotheses": hypotheses, "load_s": loaded - start, "decode_s": done - loaded,
                   "rss_before_kib": before, "peak_rss_kib": _rss_kib("VmHWM")}, file)


def timed_runs(spec: dict, cache: str, repeats: int) -> list[dict]:
    runs = []
    for _ in range(repeats):
        with tempfile.NamedTemporaryFile(suffix=".json") as output:
            subprocess.run([sys.executable, os.path.abspath(__file__), f"--cache={cache}",
                            f"--worker_spec={json.dumps(spec)}",
                            f"--worker_output={output.name}"], check=True)
            with open(output.name) as file:
                runs.append(json.load(file))
    return runs


# -- words no LM text shows
def unseen_word_hits(hypotheses: list[str], references: list[str],
                     known: set[str]) -> tuple[int, int]:
    """(reference words outside `known` that the utterance's hypothesis also has, all such
    reference words)."""
    hits = total = 0
    for hypothesis, reference in zip(hypotheses, references):
        said = collections.Counter(hypothesis.split())
        for word in reference.split():
            if word not in known:
                total += 1
                if said[word] > 0:
                    hits += 1
                    said[word] -= 1
    return hits, total


# -- the comparison
def _floats(text: str) -> list[float]:
    return [float(value) for value in text.split(",") if value]


def candidate_specs(args: argparse.Namespace) -> dict[str, list[dict]]:
    """Decoder name → its grid of specs."""
    families = set(args.decoders.split(","))
    beam = args.beam_size
    named: dict[str, list[dict]] = {}
    if "greedy" in families:
        named["greedy"] = [{"kind": "greedy"}]
    if "ours" in families and args.char_lm:
        lms = {"ours: char LM": {}}
        if args.word_lm:
            lms["ours: char + word LM"] = {"word_lm": args.word_lm}
            if args.backoff_lm:
                lms[f"ours: char + word + {os.path.basename(args.backoff_lm)} "
                    f"({args.backoff_lm_weight:g})"] = {
                    "word_lm": args.word_lm, "backoff_lm": args.backoff_lm,
                    "backoff_lm_weight": args.backoff_lm_weight}
        for name, extra in lms.items():
            named[name] = [{"kind": "ours", "char_lm": args.char_lm, "beam_size": beam,
                            "lm_weight": weight, "lm_bonus": bonus, **extra}
                           for weight, bonus in itertools.product(_floats(args.lm_weights),
                                                                  _floats(args.lm_bonuses))]
    kenlms = [path for path in args.kenlm.split(",") if path]
    for path in kenlms:
        if "pyctcdecode" in families:
            named[f"pyctcdecode + KenLM {os.path.basename(path)}"] = [
                {"kind": "pyctcdecode", "kenlm": path, "beam_size": beam, "alpha": alpha,
                 "beta": beta}
                for alpha, beta in itertools.product(_floats(args.alphas), _floats(args.betas))]
        if "flashlight" in families:
            named[f"flashlight lexicon + KenLM {os.path.basename(path)}"] = [
                {"kind": "flashlight_lexicon", "kenlm": path, "lexicon": args.lexicon,
                 "beam_size": beam, "alpha": alpha, "beta": beta}
                for alpha, beta in itertools.product(_floats(args.alphas),
                                                     _floats(args.flashlight_word_scores))]
    if "flashlight" in families and args.kenlm_char:
        named[f"flashlight lexicon-free + KenLM {os.path.basename(args.kenlm_char)}"] = [
            {"kind": "flashlight_lexicon_free", "kenlm": args.kenlm_char, "beam_size": beam,
             "alpha": alpha, "beta": beta}
            for alpha, beta in itertools.product(_floats(args.alphas),
                                                 _floats(args.flashlight_sil_scores))]
    return named


def _weights(spec: dict) -> str:
    if spec["kind"] == "greedy":
        return "-"
    if spec["kind"] == "ours":
        return f"lm_weight={spec['lm_weight']:g}, lm_bonus={spec['lm_bonus']:g}"
    bonus = {"pyctcdecode": "beta", "flashlight_lexicon": "word_score",
             "flashlight_lexicon_free": "sil_score"}[spec["kind"]]
    return f"alpha={spec['alpha']:g}, {bonus}={spec['beta']:g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output_dir", help="the CTC run (not needed with an existing --cache)")
    parser.add_argument("--split", default="dev", help="where the weights are chosen")
    parser.add_argument("--cache", default="",
                        help=".npz of --split's log-probabilities: read if it exists, else "
                             "written (default: a temporary file)")
    parser.add_argument("--max_examples", type=int, default=0, help="0 = the whole split")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--decoders", default="greedy,ours,pyctcdecode,flashlight")
    parser.add_argument("--beam_size", type=int, default=64)
    parser.add_argument("--char_lm", default="", help="ours: a t2t-char-lm model")
    parser.add_argument("--word_lm", default="", help="ours: a t2t-word-lm model")
    parser.add_argument("--backoff_lm", default="", help="ours: an ARPA or CMU Sphinx model")
    parser.add_argument("--backoff_lm_weight", type=float, default=0.5)
    parser.add_argument("--lm_weights", default="0.5,0.75,1")
    parser.add_argument("--lm_bonuses", default="1,2,3")
    parser.add_argument("--kenlm", default="", help="word ARPA models, comma-separated")
    parser.add_argument("--kenlm_char", default="",
                        help="a character ARPA model (spaces written '|') for flashlight's "
                             "lexicon-free decoder")
    parser.add_argument("--lexicon", default="",
                        help="flashlight's lexicon decoder: more words (one a line) to spell, "
                             "besides the KenLM model's")
    parser.add_argument("--alphas", default="0.3,0.5,0.8,1.2")
    parser.add_argument("--betas", default="0,1,2,3")
    parser.add_argument("--flashlight_word_scores", default="0,1,2,3")
    parser.add_argument("--flashlight_sil_scores", default="-1,0,1,2")
    parser.add_argument("--lm_text", default="",
                        help="the LMs' training text: counts the reference words it never shows "
                             "that each decoder gets right")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs of each decoder")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the grid search")
    parser.add_argument("--report_split", default="",
                        help="e.g. test: score each decoder once there with --split's weights")
    parser.add_argument("--worker_spec", help=argparse.SUPPRESS)
    parser.add_argument("--worker_output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_spec:
        run_worker(args.worker_spec, args.cache, args.worker_output)
        return

    temporary = tempfile.TemporaryDirectory()
    cache = args.cache or os.path.join(temporary.name, f"{args.split}.npz")
    if not os.path.exists(cache):
        if not args.output_dir:
            parser.error("give --output_dir (or an existing --cache)")
        save_log_probs(cache, *_network_log_probs(args.output_dir, args.split, args.batch_size,
                                                  args.max_examples))
    log_probs, references = load_log_probs(cache)
    frames = sum(map(len, log_probs))
    print(f"{args.split}: {len(references)} utterances, {frames} frames; beam {args.beam_size}\n")

    named = candidate_specs(args)
    chosen: dict[str, tuple[dict, float, float]] = {}
    print("| decoder | weights | WER % | CER % |\n|---|---|---|---|")
    for name, specs in named.items():
        results = grid_search(specs, cache, references, args.jobs)
        for spec, word_errors, char_errors in results:
            print(f"| {name} | {_weights(spec)} | {100 * word_errors:.2f} "
                  f"| {100 * char_errors:.2f} |", flush=True)
        chosen[name] = min(results, key=lambda result: (result[1], result[2]))

    known: set[str] = set()
    if args.lm_text:
        with open(args.lm_text, encoding="utf-8") as lines:
            known = {word for line in lines for word in line.split()}
    print(f"\nChosen on {args.split}; each run a fresh process (decode: the whole split; peak "
          f"RSS: of the process, and above what it held before loading its LM)\n")
    print("| decoder | weights | WER % | CER % | unseen words right | decode s (each run) "
          "| LM load s | peak RSS MB | above start MB |\n|---|---|---|---|---|---|---|---|---|")
    for name, (spec, word_errors, char_errors) in chosen.items():
        runs = timed_runs(spec, cache, args.repeats)
        if _error_rates(runs[0]["hypotheses"], references)[0] != word_errors:
            raise RuntimeError(f"{name}: the timed run decodes otherwise than the grid search")
        hits, total = unseen_word_hits(runs[0]["hypotheses"], references, known)
        unseen = f"{hits}/{total}" if known else "-"
        times = ", ".join(f"{run['decode_s']:.1f}" for run in runs)
        print(f"| {name} | {_weights(spec)} | {100 * word_errors:.2f} | {100 * char_errors:.2f} "
              f"| {unseen} | {times} "
              f"| {max(run['load_s'] for run in runs):.1f} "
              f"| {max(run['peak_rss_kib'] for run in runs) / 1024:.0f} "
              f"| {max(run['peak_rss_kib'] - run['rss_before_kib'] for run in runs) / 1024:.0f} "
              f"|", flush=True)

    if args.report_split:
        report_cache = os.path.join(temporary.name, f"{args.report_split}.npz")
        save_log_probs(report_cache, *_network_log_probs(
            args.output_dir, args.report_split, args.batch_size, args.max_examples))
        report_references = load_log_probs(report_cache)[1]
        results = grid_search([spec for spec, _, _ in chosen.values()], report_cache,
                              report_references, args.jobs)
        print(f"\n{args.report_split}, once, with the weights chosen on {args.split}\n")
        print("| decoder | weights | WER % | CER % |\n|---|---|---|---|")
        for name, (spec, word_errors, char_errors) in zip(chosen, results):
            print(f"| {name} | {_weights(spec)} | {100 * word_errors:.2f} "
                  f"| {100 * char_errors:.2f} |")
    temporary.cleanup()


if __name__ == "__main__":
    main()
