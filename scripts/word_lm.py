"""t2t-word-lm: trains the word n-gram LM that CTC beam search fuses next to a character LM
(`t2t.lm.word_lm`): finished words are scored by it, spelled (and unseen words scored) by the
character LM of t2t-char-lm.

    t2t-char-lm --problem=speech_espeak_en --data_dir=~/t2t_data --output=~/lm/espeak7.json
    t2t-word-lm --problem=speech_espeak_en --data_dir=~/t2t_data --output=~/lm/espeak_words3.json
    t2t-word-lm --problem=speech_espeak_en --data_dir=~/t2t_data --smoothing=kneser_ney \
        --lexicon=/usr/share/dict/american-english --output=~/lm/espeak_words3kn.json
    t2t-decoder --output_dir=~/t2t_train/ds2 --data_dir=~/t2t_data --decode_split=test \
        --decode_hparams="beam_size=16,lm_path=/abs/lm/espeak7.json,\
word_lm_path=/abs/lm/espeak_words3.json,lm_weight=0.75,lm_bonus=1"

Takes the same flags and text as t2t-char-lm (the problem's language-model text and/or a file of
normalized sentences, each distinct sentence counted once, and --smoothing); --order counts words
(default 3).
--lexicon adds a word list, one word per line (e.g. /usr/share/dict/american-english, Debian's
`wamerican`, which scripts/install.sh installs), whose words each get the unigram pseudo-count
--lexicon_count (`t2t.lm.word_lm`): entries are normalized like transcripts (lower case; curly quotes
straightened), and those that are not one word of the alphabet afterwards (non-ASCII letters,
digits, symbols, several words) are left out and counted in the log. Logs the number of sentences,
words and distinct words.
"""
from __future__ import annotations

import os

from absl import flags, logging

from t2t.lm.word_lm import WordNgramLM
from t2t.scripts import common
from t2t.speech import transcripts

# Read here, defined in common (listed in --help; common.start refuses the other shared flags):
# the same as t2t-char-lm's, but --order counts words and defaults to 3 (set in `run`).
SHARED_FLAGS = ("problem", "data_dir", "gin_param", "text_file", "order", "output", "smoothing")
for _name in SHARED_FLAGS:
    flags.declare_key_flag(_name)
DEFAULT_ORDER = 3

flags.DEFINE_string("lexicon", "", "A word list, one word per line (e.g. "
                    "/usr/share/dict/american-english): words it knows are likelier than "
                    "other unseen spellings.")
flags.DEFINE_float("lexicon_count", 5.0, "The unigram pseudo-count of each --lexicon word "
                   "(5 was best of 0.1-20 on speech_espeak_en's dev split).", lower_bound=0.0)

FLAGS = flags.FLAGS


def main(argv: list[str]) -> None:
    if not common.start(argv, SHARED_FLAGS):
        return
    with common.user_errors_as_usage():
        sentences = common.lm_training_sentences(transcripts.ALPHABET)
        lexicon = []
        if FLAGS.lexicon:
            lexicon, left_out = read_word_list(os.path.expanduser(FLAGS.lexicon))
            logging.info("--lexicon=%s: %d words; %d entries left out (not one word of the "
                         "alphabet once normalized)", FLAGS.lexicon, len(lexicon), left_out)
        lm = WordNgramLM.train(sentences, FLAGS.order, lexicon,
                               FLAGS.lexicon_count if lexicon else 0.0, FLAGS.smoothing)
        output = os.path.expanduser(FLAGS.output)
        lm.save(output)
    words = [word for sentence in sentences for word in sentence.split()]
    logging.info("%d-gram %s word LM on %d sentences, %d words (%d distinct), lexicon of %d "
                 "words (pseudo-count %g); written to %s", FLAGS.order, FLAGS.smoothing,
                 len(sentences), len(words),
                 len(set(words)), len(lm.lexicon), lm.lexicon_count, output)


def read_word_list(path: str) -> tuple[list[str], int]:
    """The distinct words of a word list (one entry per line), normalized like transcripts, and
    the number of non-blank entries left out for not being one word of the alphabet.

    Raises FileNotFoundError naming --lexicon if there is no such file, ValueError if no entry is
    left.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--lexicon={path}: no such file")
    words, left_out = {}, 0
    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            if not line.strip():
                continue
            word, _ = transcripts.normalize(line.strip())
            if word is None or " " in word:
                left_out += 1
            else:
                words[word] = None
    if not words:
        raise ValueError(f"--lexicon={path}: no entry is a word of the alphabet "
                         f"{transcripts.ALPHABET!r} (one word per line expected)")
    return list(words), left_out


def run() -> None:
    """Console-script entry point of `t2t-word-lm`."""
    FLAGS.set_default("order", DEFAULT_ORDER)
    common.run(main, __name__)


if __name__ == "__main__":
    run()
