"""t2t-word-lm: trains the word n-gram LM that CTC beam search fuses next to a character LM
(`t2t.word_lm`): finished words are scored by it, spelled (and unseen words scored) by the
character LM of t2t-char-lm.

    t2t-char-lm --problem=speech_espeak_en --data_dir=~/t2t_data --output=~/lm/espeak7.json
    t2t-word-lm --problem=speech_espeak_en --data_dir=~/t2t_data --output=~/lm/espeak_words3.json
    t2t-decoder --output_dir=~/t2t_train/ds2 --data_dir=~/t2t_data --decode_split=test \
        --decode_hparams="beam_size=16,lm_path=/abs/lm/espeak7.json,\
word_lm_path=/abs/lm/espeak_words3.json,lm_weight=0.75,lm_bonus=1"

Takes the same flags and text as t2t-char-lm (the problem's language-model text and/or a file of
normalized sentences, each distinct sentence counted once); --order counts words (default 3).
Logs the number of sentences, words and distinct words.
"""
from __future__ import annotations

import os
import sys

from absl import app, flags, logging

from t2t.scripts import char_lm, common
from t2t.word_lm import WordNgramLM

FLAGS = flags.FLAGS


def main(argv: list[str]) -> None:
    if not common.start(argv):
        return
    with common.user_errors_as_usage():
        sentences = char_lm.training_sentences()
        lm = WordNgramLM.train(sentences, FLAGS.order)
        output = os.path.expanduser(FLAGS.output)
        lm.save(output)
    words = [word for sentence in sentences for word in sentence.split()]
    logging.info("%d-gram word LM on %d sentences, %d words (%d distinct); written to %s",
                 FLAGS.order, len(sentences), len(words), len(set(words)), output)


def run() -> None:
    """Console-script entry point of `t2t-word-lm`."""
    char_lm.define_flags(default_order=3, unit="words")
    logging.set_verbosity(logging.INFO)
    app.run(main, argv=sys.argv)


if __name__ == "__main__":
    run()
