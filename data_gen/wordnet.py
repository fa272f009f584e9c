"""English example sentences from WordNet 3.0 (Debian's `wordnet-base`, /usr/share/wordnet).

A WordNet data file (`DATA_FILES`) holds one synset per line, "offset ... | gloss", after a
license header whose lines start with two spaces. A gloss is the synset's definitions and, in
double quotes, examples of its use: "the mountain climber started to hyperventilate". These
examples (how many: docs/benchmarks.md, "Facts moved from docstrings") are short sentences of
present-day English, which a speech problem may add to the text of its language models
(`SpeechEspeakEn.lm_text_sources`). Definitions are not read.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator

WORDNET_DIR = "/usr/share/wordnet"
DATA_FILES = ("data.adj", "data.adv", "data.noun", "data.verb")

_EXAMPLE = re.compile(r'"([^"]+)"')


def data_files(wordnet_dir: str = WORDNET_DIR) -> list[str]:
    """The paths of `DATA_FILES` in `wordnet_dir`.

    Raises FileNotFoundError naming the missing files and the package that installs them.
    """
    missing = [name for name in DATA_FILES
               if not os.path.isfile(os.path.join(wordnet_dir, name))]
    if missing:
        raise FileNotFoundError(f"WordNet's {', '.join(missing)} missing in {wordnet_dir}: "
                                f"apt-get install wordnet-base (scripts/install.sh does)")
    return [os.path.join(wordnet_dir, name) for name in DATA_FILES]


def example_sentences(wordnet_dir: str = WORDNET_DIR) -> Iterator[str]:
    """Every example of every gloss, raw (not normalized), in file order, duplicates included."""
    for path in data_files(wordnet_dir):
        with open(path, encoding="utf-8") as file:
            for line in file:
                if line.startswith("  "):  # the license header
                    continue
                _, bar, gloss = line.partition(" | ")
                if bar:
                    yield from (example.strip() for example in _EXAMPLE.findall(gloss))
