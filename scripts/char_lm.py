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
(`t2t.speech.transcripts.normalize`), one per line; blank lines are skipped. The alphabet is the
speech problems' (space, apostrophe, a–z). Logs the number of sentences and characters and the LM's
perplexity per predicted symbol (characters and sentence ends) on that same training text. A
sentence that appears several times (e.g. spoken by several voices) is counted once.
"""
from __future__ import annotations

import math
import os

from absl import flags, logging

from t2t.lm.char_lm import CharNgramLM
from t2t.scripts import common
from t2t.speech import transcripts

# Read here, defined in common (listed in --help; common.start refuses the other shared flags).
# t2t-word-lm reads the same ones.
SHARED_FLAGS = ("problem", "data_dir", "gin_param", "text_file", "order", "output", "smoothing")
for _name in SHARED_FLAGS:
    flags.declare_key_flag(_name)

FLAGS = flags.FLAGS


def main(argv: list[str]) -> None:
    if not common.start(argv, SHARED_FLAGS):
        return
    with common.user_errors_as_usage():
        sentences = common.lm_training_sentences(transcripts.ALPHABET)
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


def run() -> None:
    """Console-script entry point of `t2t-char-lm`."""
    common.run(main, __name__)


if __name__ == "__main__":
    run()
