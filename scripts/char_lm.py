"""t2t-char-lm: trains the character n-gram LM that CTC beam search can fuse (`t2t.lm.char_lm`).

    t2t-char-lm --problem=speech_espeak_en --data_dir=~/t2t_data --output=~/lm/espeak7.json
    t2t-char-lm --text_file=sentences.txt --order=5 --output=lm.json
    t2t-char-lm --problem=speech_espeak_en --data_dir=~/t2t_data --order=9 --smoothing=kneser_ney \
        --output=~/lm/espeak9kn.json
    t2t-decoder --output_dir=~/t2t_train/ds2 --data_dir=~/t2t_data --decode_split=test \
        --decode_hparams="beam_size=16,lm_path=/abs/lm/espeak7.json,lm_weight=0.5,lm_bonus=1"

Sources (either or both): the problem's language-model text (`language_model_text` of a speech
problem: by default its train split's transcripts; for speech_espeak_en every train-hash fortune
sentence of any length, never one holding a dev or test sentence — never text that decoding is
scored on — and, with --gin_param="SpeechEspeakEn.lm_text_sources = ('fortunes', 'wordnet')",
WordNet's example sentences too, screened the same way), and a text file of normalized sentences
(`data_gen.transcripts.normalize`), one per line; blank lines are skipped. The alphabet is the
speech problems' (space, apostrophe, a–z). Logs the number of sentences and characters and the LM's
perplexity per predicted symbol (characters and sentence ends) on that same training text. A
sentence that appears several times (e.g. spoken by several voices) is counted once.
"""
from __future__ import annotations

import math
import os
import sys

import gin
from absl import app, flags, logging

from t2t import registry
from t2t.lm.char_lm import CharNgramLM
from t2t.lm.text_source import LanguageModelTextSource
from t2t.speech import transcripts
from t2t.lm.smoothing import SMOOTHINGS
from t2t.scripts import common

FLAGS = flags.FLAGS


def define_flags(default_order: int = 7, unit: str = "characters") -> None:
    """Defines the flags of this tool, and of t2t-word-lm (`unit` "words"); --t2t_usr_dir and
    --registry_help come from common.

    Called by `run`, not at import, so that importing this module next to t2t.scripts.trainer
    doesn't clash on the flag names they share.
    """
    flags.DEFINE_string("problem", "", "Registered speech problem whose language-model text "
                        "(train transcripts, or more train text) is read (with --data_dir).")
    flags.DEFINE_string("data_dir", "", "Where the problem's shards are.")
    flags.DEFINE_multi_string("gin_param", [], "Gin binding for --problem, e.g. "
                              "\"SpeechEspeakEn.lm_text_sources = ('fortunes', 'wordnet')\". "
                              "Repeatable.")
    flags.DEFINE_string("text_file", "", "Normalized sentences, one per line.")
    flags.DEFINE_integer("order", default_order, f"n of the n-gram model ({unit} of context + 1).")
    flags.DEFINE_string("output", "", "Where the LM is written (JSON).")
    flags.DEFINE_enum("smoothing", "witten_bell", list(SMOOTHINGS),
                      "How counts become probabilities (t2t.lm.char_lm): interpolated Witten–Bell, or "
                      "modified Kneser–Ney, which predicts new text better at high orders.")


def main(argv: list[str]) -> None:
    if not common.start(argv):
        return
    with common.user_errors_as_usage():
        sentences = training_sentences()
        lm = CharNgramLM.train(sentences, FLAGS.order, alphabet=transcripts.ALPHABET,
                               smoothing=FLAGS.smoothing)
        output = os.path.expanduser(FLAGS.output)
        lm.save(output)
    characters = sum(map(len, sentences))
    log_prob = sum(map(lm.sentence_log_prob, sentences))
    logging.info("%d-gram %s character LM on %d sentences, %d characters: training perplexity "
                 "%.3f per symbol; written to %s", FLAGS.order, FLAGS.smoothing, len(sentences),
                 characters,
                 math.exp(-log_prob / (characters + len(sentences))), output)


def training_sentences() -> list[str]:
    """The distinct sentences of --problem's language-model text and --text_file, in order.

    Raises app.UsageError for missing or mismatched flags, ValueError for a problem without
    language-model text, text outside the alphabet (naming where) or no text at all.
    """
    common.require("output")
    if not (FLAGS.problem or FLAGS.text_file):
        raise app.UsageError("give --problem with --data_dir, or --text_file, or both")
    if bool(FLAGS.problem) != bool(FLAGS.data_dir):
        raise app.UsageError("--problem and --data_dir go together")
    if FLAGS.gin_param and not FLAGS.problem:
        raise app.UsageError("--gin_param configures --problem; there is no --problem")
    sentences, sources = [], []
    if FLAGS.problem:
        problem_class = registry.problems.get(FLAGS.problem)
        gin.parse_config(FLAGS.gin_param)
        problem = problem_class()
        if not isinstance(problem, LanguageModelTextSource):
            raise ValueError(f"problem {FLAGS.problem!r} has no language_model_text (it is no "
                             f"LanguageModelTextSource; the speech problems are); use --text_file")
        problem.load_vocabularies(os.path.expanduser(FLAGS.data_dir))
        sentences += [_checked(text, f"problem {FLAGS.problem} language-model sentence {i}")
                      for i, text in enumerate(problem.language_model_text(
                          os.path.expanduser(FLAGS.data_dir)), 1)]
        sources.append(f"the language-model text of {FLAGS.problem}")
    if FLAGS.text_file:
        sentences += read_sentences(os.path.expanduser(FLAGS.text_file))
        sources.append(f"--text_file={FLAGS.text_file}")
    if not any(sentences):
        raise ValueError(f"no text to train on in {' and '.join(sources)}")
    # A speech corpus may say one sentence in several voices: count each sentence once.
    return list(dict.fromkeys(sentences))


def read_sentences(path: str) -> list[str]:
    """The non-blank lines of `path`. Raises ValueError naming the file and line of a character
    outside the alphabet, FileNotFoundError if there is no such file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--text_file={path}: no such file")
    sentences = []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            sentence = line.rstrip("\n")
            _checked(sentence, f"{path} line {number}")
            if sentence:
                sentences.append(sentence)
    return sentences


def _checked(text: str, where: str) -> str:
    """`text`, or a ValueError naming `where` if it has characters outside the alphabet."""
    unknown = sorted(set(text) - set(transcripts.ALPHABET))
    if unknown:
        raise ValueError(f"{where}: characters {''.join(unknown)!r} are not in the alphabet "
                         f"{transcripts.ALPHABET!r} (normalize the text with "
                         f"t2t.speech.transcripts.normalize): {text!r}")
    return text


def run() -> None:
    """Console-script entry point of `t2t-char-lm`."""
    define_flags()
    logging.set_verbosity(logging.INFO)
    app.run(main, argv=sys.argv)


if __name__ == "__main__":
    run()
