"""Speech recognition problems: 16 kHz audio in, characters out.

    speech_espeak_en        English sentences from Debian `fortunes`, spoken by espeak-ng (offline)
    librispeech_clean100    LibriSpeech train-clean-100 (100 h), via TFDS `librispeech`
    librispeech             LibriSpeech 960 h (clean-100 + clean-360 + other-500), via TFDS

Stored shards hold, per utterance, "inputs": the int16 samples zigzag-coded as non-negative int64
(n ≥ 0 → 2n, n < 0 → −2n − 1, so quiet samples take 1–2 bytes as varints instead of the 10 a
negative int64 takes), and "targets": character ids ending with EOS. `dataset()` decodes the samples
and computes the features in the tf.data pipeline (`t2t.speech.audio_features`):

    {"inputs": float32 [frames, 80] (or [frames, 240] with deltas), "targets": int32 [length]}

so a model's "length" for batching is its number of 10 ms frames. Targets use 30 ids: 0 PAD (the
CTC blank), 1 EOS, 2 space, 3 apostrophe, 4–29 a–z (`data_gen.transcripts`). Transcripts are
normalized (see `transcripts.normalize`) and utterances whose text is rejected, or whose audio is
silent (all zeros: no alignment could produce a transcript), are left out and counted in the log.

Decoding reads wav files: `t2t-decoder --decode_from_file=wavs.txt` with one path per line
(16-bit PCM mono 16 kHz; anything else is rejected with a message saying how to convert it).
Metrics are word and character error rates, fractions, lower is better.
"""
from __future__ import annotations

import abc
import collections
import concurrent.futures
import dataclasses
import hashlib
import os
import random
from collections.abc import Iterator, Sequence

import gin
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds
from absl import logging

from t2t.data import shards
from t2t.data.hash_split import HashSplit
from t2t.data_gen import audio, espeak, fortunes, vowel_swaps, wordnet
from t2t.lm.text_source import LanguageModelTextSource
from t2t.metrics import error_rates
from t2t.model import ProblemInfo
from t2t.problem import Problem
from t2t.registry import register_problem
from t2t.speech import audio_features, transcripts
from t2t.speech.modality import AudioModality
from t2t.speech.transcripts import FIRST_CHARACTER_ID, VOCAB_SIZE

_ID_OF_CHARACTER = {char: FIRST_CHARACTER_ID + i for i, char in enumerate(transcripts.ALPHABET)}
_CHARACTER_OF_ID = {i: char for char, i in _ID_OF_CHARACTER.items()}
_INT16_SCALE = 32768.0
# Where SpeechEspeakEn's language-model text may come from (see its lm_text_sources).
LM_TEXT_SOURCES = ("fortunes", "wordnet")


def zigzag(samples: np.ndarray) -> np.ndarray:
    """int16 samples [n] → non-negative int64 [n]: n ≥ 0 → 2n, n < 0 → −2n − 1."""
    wide = samples.astype(np.int64)
    return np.where(wide >= 0, 2 * wide, -2 * wide - 1)


def unzigzag(codes: tf.Tensor) -> tf.Tensor:
    """The inverse of `zigzag`, in TF: int64 [n] → int64 [n]."""
    return tf.bitwise.bitwise_xor(tf.bitwise.right_shift(codes, 1),
                                  -tf.bitwise.bitwise_and(codes, 1))


class SpeechProblem(Problem, LanguageModelTextSource):
    """Audio → characters; subclasses say where utterances come from (`utterances`).

    Stored "inputs" are audio samples, not ids: only "targets" get EOS (`SYMBOL_FEATURES`), and
    `preprocess_example` turns the samples into features when the shards are read.

    Args:
      deltas: add deltas and delta-deltas to the 80 log-mel features (240 per frame).
    """

    SYMBOL_FEATURES = ("targets",)

    def __init__(self, deltas: bool = False):
        self.deltas = deltas

    @abc.abstractmethod
    def utterances(self, split: str, tmp_dir: str) -> Iterator[tuple[np.ndarray, str]]:
        """Yields (int16 samples [n] at 16 kHz, raw transcript) for `split`."""

    def info(self) -> ProblemInfo:
        return ProblemInfo(inputs=AudioModality(audio_features.feature_size(self.deltas)),
                           target_vocab_size=VOCAB_SIZE)

    def generate_samples(self, split: str, tmp_dir: str) -> Iterator[dict[str, list[int]]]:
        """{"inputs": zigzag-coded samples, "targets": character ids}; rejected transcripts and
        silent audio are skipped and counted."""
        skipped: collections.Counter = collections.Counter()
        kept = 0
        for samples, text in self.utterances(split, tmp_dir):
            normalized, reason = transcripts.normalize(text)
            if normalized is None:
                skipped[f"transcript: {reason}"] += 1
            elif not np.any(samples):
                skipped["silent audio"] += 1
            else:
                kept += 1
                yield {"inputs": zigzag(samples).tolist(), "targets": self.encode(normalized)}
        logging.info("%s %s: %d utterances kept; skipped: %s", self.name, split, kept,
                     dict(skipped) or "none")

    def encode(self, text: str) -> list[int]:
        """Text → character ids (normalized first). Raises ValueError if normalization rejects
        the text (e.g. it has digits)."""
        normalized, reason = transcripts.normalize(text)
        if normalized is None:
            raise ValueError(f"{self.name}: cannot transcribe {text!r} with the alphabet "
                             f"{transcripts.ALPHABET!r} ({reason})")
        return [_ID_OF_CHARACTER[char] for char in normalized]

    def decode(self, ids: Sequence[int]) -> str:
        unknown = [i for i in ids if i not in _CHARACTER_OF_ID]
        if unknown:
            raise ValueError(f"{self.name}: ids {unknown} are not characters (characters are ids "
                             f"{FIRST_CHARACTER_ID}..{VOCAB_SIZE - 1})")
        return "".join(_CHARACTER_OF_ID[i] for i in ids)

    def encode_inputs(self, text: str) -> np.ndarray:
        """A wav path (16-bit PCM mono 16 kHz) → float32 features [frames, 80 or 240]."""
        samples = audio.read_wav(text)
        return self.features(tf.constant(samples.astype(np.float32) / _INT16_SCALE)).numpy()

    def features(self, samples: tf.Tensor) -> tf.Tensor:
        """float32 samples [n] in [-1, 1] → features [frames, 80 or 240]."""
        return audio_features.log_mel_features(samples, self.deltas)

    def decode_metrics(self, hypotheses: list[str], references: list[str]) -> dict[str, float]:
        """{"wer": word error rate, "cer": character error rate}: corpus-level fractions."""
        return {"wer": error_rates.word_error_rate(hypotheses, references),
                "cer": error_rates.character_error_rate(hypotheses, references)}

    def language_model_text(self, data_dir: str) -> Iterator[str]:
        """Normalized sentences a language model for this problem may learn from (e.g.
        `t2t-char-lm`), never a dev or test transcript: by default the transcripts of the train
        shards in `data_dir`, in shard order.

        Raises FileNotFoundError if the train shards are missing or incomplete.
        """
        if not shards.split_is_complete(data_dir, self.name, "train"):
            raise FileNotFoundError(f"no complete train data for problem {self.name!r} in "
                                    f"{data_dir!r}; run `t2t-datagen --problem={self.name} "
                                    f"--data_dir={data_dir}`")
        spec = {"targets": tf.io.RaggedFeature(tf.int64)}
        records = tf.data.TFRecordDataset(shards.split_files(data_dir, self.name, "train"))
        targets = records.map(lambda record: tf.io.parse_single_example(record, spec)["targets"])
        for ids in targets.as_numpy_iterator():
            yield self.decode_targets(ids.tolist())

    def preprocess_example(self, example: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Stored {"inputs": zigzag-coded samples, "targets": ids} → {"inputs": float32 features
        [frames, 80 or 240], "targets": int32 [length]}."""
        samples = tf.cast(unzigzag(example["inputs"]), tf.float32) / _INT16_SCALE
        return {"inputs": self.features(samples),
                "targets": tf.cast(example["targets"], tf.int32)}


def sentence_split(dev_percent: int, test_percent: int) -> HashSplit:
    """Maps a sentence to its split by a stable hash of its text (percentiles, dev first)."""
    return HashSplit([("dev", dev_percent / 100), ("test", test_percent / 100)], rest="train",
                     buckets=100)


@register_problem
@gin.configurable
class SpeechEspeakEn(SpeechProblem):
    """Sentences from Debian `fortunes` spoken by espeak-ng; fully offline.

    A sentence belongs to train, dev or test by the hash of its normalized text (dev_percent and
    test_percent of all sentences), and each split takes its first num_<split>_sentences in hash
    order (0: all of them; the sizes of the splits: docs/benchmarks.md, "Facts moved from
    docstrings"). Train sentences are spoken `train_utterances_per_sentence` times by distinct
    voices of `train_voices`, dev sentences once by `dev_voice` and test sentences once by
    `test_voice`: two different accents that training never hears, so choices made on dev (e.g.
    augmentation for unseen voices) are made on an unseen voice too, without looking at the test
    voice. Each utterance's speed is drawn from `words_per_minute`, and each train utterance's
    espeak-ng variant (other formant frequencies, pitch and roughness: `espeak-ng --voices=variant`)
    from `train_variants` ("" is the voice's own, which dev and test use), so that training hears
    each accent's vowels at more than one place. With `train_vowel_swap_rate` > 0 each vowel of a
    train utterance is, with that probability, spoken as a neighbouring vowel
    (`data_gen.vowel_swaps`; "had" as "head"), while the transcript stays the sentence: unseen
    accents move vowels, and this asks the model to lean on the rest of the word (measured:
    docs/benchmarks.md, "Vowel swaps"). Choices are seeded by the sentence, so the corpus is the
    same on every machine. Wavs are cached in <tmp_dir>/espeak_wavs. The text of the language
    models (`language_model_text`) comes from `lm_text_sources`: "fortunes" (train-hash fortune
    sentences) and, if named, "wordnet" (WordNet's example sentences, `data_gen.wordnet`),
    held-out sentences left out of both.

    Args:
      min_words, max_words: sentence lengths kept, in words.
      deltas: see SpeechProblem.
    """

    def __init__(self, num_train_sentences: int = 0, num_dev_sentences: int = 500,
                 num_test_sentences: int = 500, dev_percent: int = 5, test_percent: int = 5,
                 min_words: int = 3, max_words: int = 10,
                 train_voices: Sequence[str] = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp",
                                                "en-029", "en-gb-x-gbcwmd"),
                 dev_voice: str = "en-us-nyc", test_voice: str = "en-gb-x-gbclan",
                 train_utterances_per_sentence: int = 2,
                 words_per_minute: Sequence[int] = (140, 175, 210),
                 train_variants: Sequence[str] = ("",), train_vowel_swap_rate: float = 0.0,
                 lm_text_sources: Sequence[str] = ("fortunes",), deltas: bool = False):
        super().__init__(deltas)
        for name, voice in (("dev_voice", dev_voice), ("test_voice", test_voice)):
            if voice in train_voices:
                raise ValueError(f"{name} {voice!r} must not be one of the train_voices "
                                 f"{list(train_voices)}: dev and test are spoken by unseen voices")
        if dev_voice == test_voice:
            raise ValueError(f"dev_voice and test_voice are both {dev_voice!r}: choices made on "
                             f"dev must not see the test voice")
        counts = {"num_train_sentences": num_train_sentences,
                  "num_dev_sentences": num_dev_sentences, "num_test_sentences": num_test_sentences}
        negative = [f"{name}={count}" for name, count in counts.items() if count < 0]
        if negative:
            raise ValueError(f"{', '.join(negative)}: sentence counts must be >= 0 (0 = all)")
        if not 1 <= train_utterances_per_sentence <= len(train_voices):
            raise ValueError(f"train_utterances_per_sentence={train_utterances_per_sentence} must "
                             f"be between 1 and the {len(train_voices)} train voices")
        self.num_sentences = {"train": num_train_sentences, "dev": num_dev_sentences,
                              "test": num_test_sentences}
        self.split_of = sentence_split(dev_percent, test_percent)
        self.min_words, self.max_words = min_words, max_words
        self.train_voices, self.dev_voice, self.test_voice = (list(train_voices), dev_voice,
                                                              test_voice)
        self.train_utterances_per_sentence = train_utterances_per_sentence
        self.words_per_minute = list(words_per_minute)
        if not train_variants:
            raise ValueError('train_variants is empty: ("",) is the voices\' own variant')
        self.train_variants = list(train_variants)
        if not 0.0 <= train_vowel_swap_rate <= 1.0:
            raise ValueError(f"train_vowel_swap_rate={train_vowel_swap_rate} must be between 0 "
                             f"and 1 (the probability that a vowel is swapped)")
        self.train_vowel_swap_rate = train_vowel_swap_rate
        unknown = [source for source in lm_text_sources if source not in LM_TEXT_SOURCES]
        if unknown or not lm_text_sources:
            raise ValueError(f"lm_text_sources={tuple(lm_text_sources)}: expected one or more of "
                             f"{LM_TEXT_SOURCES}")
        self.lm_text_sources = tuple(dict.fromkeys(lm_text_sources))

    def num_shards(self, split: str) -> int:
        return 4 if split == "train" else 1

    def sentences(self, split: str) -> list[str]:
        """The normalized sentences of `split`, in hash order."""
        candidates, dropped = fortunes.read_sentences(self.min_words, self.max_words)
        logging.info("fortunes: %d sentences of %d..%d words; left out: %s", len(candidates),
                     self.min_words, self.max_words, dict(dropped))
        in_split = [sentence for sentence in candidates
                    if self.split_of(sentence) == split]
        in_split.sort(key=lambda sentence: hashlib.sha256(sentence.encode("utf-8")).digest())
        wanted = self.num_sentences[split] or len(in_split)
        if len(in_split) < wanted:
            raise ValueError(f"{self.name}: only {len(in_split)} {split} sentences of "
                             f"{self.min_words}..{self.max_words} words, {wanted} wanted")
        return in_split[:wanted]

    def requests(self, split: str) -> list[espeak.Utterance]:
        """What espeak-ng says for `split`: voices and speeds per sentence (see the class)."""
        requests = []
        for sentence in self.sentences(split):
            rng = random.Random(sentence)
            if split == "train":
                voices = rng.sample(self.train_voices, self.train_utterances_per_sentence)
            else:
                voices = [self.dev_voice if split == "dev" else self.test_voice]
            # Variants have their own generator so that adding some changes nothing else.
            variant_rng = random.Random(f"variant|{sentence}")
            for voice in voices:
                words_per_minute = rng.choice(self.words_per_minute)
                variant = variant_rng.choice(self.train_variants) if split == "train" else ""
                requests.append(espeak.Utterance(
                    sentence, f"{voice}+{variant}" if variant else voice, words_per_minute))
        if split == "train" and self.train_vowel_swap_rate > 0:
            requests = self._with_vowel_swaps(requests)
        if split == "train":
            # Shards are written round-robin and read back with only a small shuffle buffer: in
            # sentence order, a batch would often hold one sentence in several voices.
            random.Random("train order").shuffle(requests)
        return requests

    def _with_vowel_swaps(self, requests: list[espeak.Utterance]) -> list[espeak.Utterance]:
        """`requests` with each vowel swapped with probability train_vowel_swap_rate; a request
        whose draw swaps nothing stays as it was (and shares its wav with the unswapped corpus)."""
        by_voice: dict[str, list[str]] = {}
        for request in requests:
            by_voice.setdefault(request.voice.partition("+")[0], []).append(request.text)
        phonemes = {}
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            lines_of_voice = pool.map(espeak.phonemize, by_voice.values(), by_voice.keys())
            for (voice, texts), lines in zip(by_voice.items(), lines_of_voice):
                phonemes.update({(voice, text): line for text, line in zip(texts, lines)})
        swapped_requests = []
        for request in requests:
            voice = request.voice.partition("+")[0]
            original = phonemes[voice, request.text]
            rng = random.Random(f"vowels|{request.voice}|{request.text}")
            swapped = vowel_swaps.swap_vowels(original, self.train_vowel_swap_rate, rng)
            swapped_requests.append(dataclasses.replace(request, phonemes=swapped)
                                    if swapped != original else request)
        return swapped_requests

    def language_model_text(self, data_dir: str) -> Iterator[str]:
        """Text beyond what is spoken, from each of `lm_text_sources`, never a sentence that
        decoding is scored on. "fortunes": every normalized fortune sentence of any length whose
        hash puts it in train; "wordnet": WordNet's normalized example sentences whose hash puts
        them in train. Either source leaves out any sentence that contains a dev or test sentence
        (any, not just the first num_<split>_sentences) as a run of whole words (sizes:
        docs/benchmarks.md, "Facts moved from docstrings"). `data_dir` is not read."""
        candidates, _ = fortunes.read_sentences(1, 10 ** 6)
        held_out = {sentence for sentence in candidates
                    if self.min_words <= len(sentence.split()) <= self.max_words
                    and self.split_of(sentence) != "train"}
        for source in self.lm_text_sources:
            kept = left_out = 0
            for sentence in (candidates if source == "fortunes"
                             else transcripts.distinct_normalized(wordnet.example_sentences())):
                if self.split_of(sentence) != "train":
                    continue
                if _contains_any(sentence.split(), held_out, self.min_words, self.max_words):
                    left_out += 1
                else:
                    kept += 1
                    yield sentence
            logging.info("%s language-model text from %s: %d train sentences; %d left out for "
                         "containing a dev or test sentence", self.name, source, kept, left_out)

    def utterances(self, split: str, tmp_dir: str) -> Iterator[tuple[np.ndarray, str]]:
        requests = self.requests(split)
        paths = espeak.synthesize_all(requests, f"{tmp_dir}/espeak_wavs")
        for request, path in zip(requests, paths):
            yield audio.read_wav(path), request.text


def _contains_any(words: list[str], sentences: set[str], min_words: int, max_words: int) -> bool:
    """Whether a run of min_words..max_words consecutive `words` is one of `sentences`."""
    return any(" ".join(words[start:start + length]) in sentences
               for length in range(min_words, max_words + 1)
               for start in range(len(words) - length + 1))


class LibriSpeechProblem(SpeechProblem):
    """LibriSpeech read through TFDS (`librispeech`, downloaded and prepared by TFDS into
    `tfds_data_dir`, default ~/tensorflow_datasets). Subclasses name the TFDS splits of each of
    our splits in TFDS_SPLITS."""

    TFDS_SPLITS: dict[str, str] = {}

    def __init__(self, tfds_data_dir: str | None = None, deltas: bool = False):
        super().__init__(deltas)
        self.tfds_data_dir = tfds_data_dir

    def utterances(self, split: str, tmp_dir: str) -> Iterator[tuple[np.ndarray, str]]:
        dataset = tfds.load("librispeech", split=self.TFDS_SPLITS[split],
                            data_dir=self.tfds_data_dir, shuffle_files=False)
        for example in dataset.as_numpy_iterator():
            yield example["speech"].astype(np.int16), example["text"].decode("utf-8")


@register_problem
@gin.configurable
class LibrispeechClean100(LibriSpeechProblem):
    """train: train-clean-100 (~28.5k utterances); dev: dev-clean; test: test-clean."""

    TFDS_SPLITS = {"train": "train_clean100", "dev": "dev_clean", "test": "test_clean"}

    def num_shards(self, split: str) -> int:
        return 100 if split == "train" else 1


@register_problem
@gin.configurable
class Librispeech(LibriSpeechProblem):
    """train: all 960 h (~281k utterances); dev: dev-clean; test: test-clean."""

    TFDS_SPLITS = {"train": "train_clean100+train_clean360+train_other500", "dev": "dev_clean",
                   "test": "test_clean"}

    def num_shards(self, split: str) -> int:
        return 500 if split == "train" else 1
