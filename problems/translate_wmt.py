"""WMT translation problems on TensorFlow Datasets builders.

    translate_ende_wmt14     English → German, TFDS wmt14_translate/de-en
    translate_ende_wmt_t2t   English → German, TFDS wmt_t2t_translate/de-en: the training data of
                             T2T's translate_ende_wmt32k (Europarl v7, Common Crawl, News
                             Commentary v13; dev newstest2013, test newstest2014), 32k shared vocab
    translate_enfr_wmt14     English → French, TFDS wmt14_translate/fr-en

TFDS splits map to ours as train → train, validation → dev, test → test. TFDS downloads and
prepares the data on first use into `tfds_data_dir` (default <tmp_dir>/tfds; point it at an
existing TFDS data directory with e.g. `--gin_param="TranslateEndeWmt14.tfds_data_dir = '~/tfds'"`).
The vocabulary is trained on the first `vocab_max_pairs` training pairs in TFDS order.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import gin
import tensorflow_datasets as tfds

from t2t.data_gen.parallel_text import Pair
from t2t.problems.translate import TranslateProblem
from t2t.registry import register_problem

TFDS_SPLIT = {"train": "train", "dev": "validation", "test": "test"}


class TfdsTranslateProblem(TranslateProblem):
    """Sentence pairs from a TFDS translation builder whose examples are {language: text}.

    Args (besides TranslateProblem's):
      tfds_name: builder and config, e.g. "wmt14_translate/de-en".
      source_language, target_language: the example keys read as source and target.
      tfds_data_dir: TFDS data directory ("" = <tmp_dir>/tfds).
    """

    def __init__(self, tfds_name: str, source_language: str, target_language: str,
                 tfds_data_dir: str, vocab_size: int, vocab_type: str, shared_vocab: bool,
                 max_chars: int, vocab_max_pairs: int):
        super().__init__(vocab_size, vocab_type, shared_vocab, max_chars, vocab_max_pairs)
        self.tfds_name = tfds_name
        self.source_language, self.target_language = source_language, target_language
        self.tfds_data_dir = os.path.expanduser(tfds_data_dir)

    def text_pairs(self, split: str, tmp_dir: str) -> Iterator[Pair]:
        builder = tfds.builder(self.tfds_name,
                               data_dir=self.tfds_data_dir or os.path.join(tmp_dir, "tfds"))
        builder.download_and_prepare()
        dataset = builder.as_dataset(split=TFDS_SPLIT[split], shuffle_files=False)
        for example in tfds.as_numpy(dataset):
            yield (example[self.source_language].decode("utf-8"),
                   example[self.target_language].decode("utf-8"))


@register_problem
@gin.configurable
class TranslateEndeWmt14(TfdsTranslateProblem):
    """English → German on WMT14 (TFDS wmt14_translate/de-en), 32k shared vocabulary."""

    def __init__(self, tfds_data_dir: str = "", vocab_size: int = 32000,
                 vocab_type: str = "unigram", shared_vocab: bool = True, max_chars: int = 1000,
                 vocab_max_pairs: int = 1_000_000):
        super().__init__("wmt14_translate/de-en", "en", "de", tfds_data_dir, vocab_size,
                         vocab_type, shared_vocab, max_chars, vocab_max_pairs)


@register_problem
@gin.configurable
class TranslateEndeWmtT2t(TfdsTranslateProblem):
    """English → German on T2T's WMT data (TFDS wmt_t2t_translate/de-en), 32k shared vocabulary:
    the equivalent of T2T's translate_ende_wmt32k."""

    def __init__(self, tfds_data_dir: str = "", vocab_size: int = 32000,
                 vocab_type: str = "unigram", shared_vocab: bool = True, max_chars: int = 1000,
                 vocab_max_pairs: int = 1_000_000):
        super().__init__("wmt_t2t_translate/de-en", "en", "de", tfds_data_dir, vocab_size,
                         vocab_type, shared_vocab, max_chars, vocab_max_pairs)


@register_problem
@gin.configurable
class TranslateEnfrWmt14(TfdsTranslateProblem):
    """English → French on WMT14 (TFDS wmt14_translate/fr-en), 32k shared vocabulary."""

    def __init__(self, tfds_data_dir: str = "", vocab_size: int = 32000,
                 vocab_type: str = "unigram", shared_vocab: bool = True, max_chars: int = 1000,
                 vocab_max_pairs: int = 1_000_000):
        super().__init__("wmt14_translate/fr-en", "en", "fr", tfds_data_dir, vocab_size,
                         vocab_type, shared_vocab, max_chars, vocab_max_pairs)
