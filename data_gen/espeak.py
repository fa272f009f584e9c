"""Speech synthesized with espeak-ng, cached as 16 kHz mono 16-bit wav files.

    request = Utterance("the cat sat", voice="en-gb", words_per_minute=160)
    request = Utterance("the cat sat", voice="en-gb+f3", words_per_minute=160)  # with a variant
    paths = synthesize_all([request, ...], cache_dir)       # one wav path per request, in order
    phonemize(["the cat sat"], "en-gb")                     # ["D|@ k|'a|t s|'a|t"]

An utterance may carry the phonemes to speak (espeak-ng's `[[...]]` input, e.g. a `phonemize`
result changed by `vowel_swaps.swap_vowels`) while its text stays the transcript.

espeak-ng (Debian package `espeak-ng`) speaks the text at 22,050 Hz; sox (package `sox`) resamples
it to 16,000 Hz mono 16-bit PCM, the format `t2t.data_gen.audio.read_wav` accepts. Each file is
named by a hash of (voice, speed, text), written under a temporary name and renamed when complete,
so an interrupted run leaves no half-written file and a rerun synthesizes only what is missing.
The text is spoken exactly as given: pass normalized transcripts (`transcripts.normalize`) so
that what is said is what the transcript says.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Sequence

from t2t.data_gen import audio


@dataclasses.dataclass(frozen=True)
class Utterance:
    """What to say, with which espeak-ng voice (`espeak-ng --voices=en`, optionally followed by
    `+variant`, one of `espeak-ng --voices=variant`: other formants, pitch, roughness) and how fast.
    `phonemes`, if given, are spoken instead of `text` (`phonemize`'s form)."""
    text: str
    voice: str
    words_per_minute: int
    phonemes: str = ""

    def file_name(self) -> str:
        key = f"{self.voice}|{self.words_per_minute}|{self.text}"
        if self.phonemes:
            key += f"|[[{self.phonemes}]]"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24] + ".wav"


def synthesize_all(utterances: Sequence[Utterance], cache_dir: str,
                   workers: int | None = None) -> list[str]:
    """Makes sure every utterance has a wav in `cache_dir` (synthesizing the missing ones, on
    `workers` processes at a time, default: one per CPU) and returns their paths, in order.

    Raises:
      FileNotFoundError: naming the Debian package, if espeak-ng or sox is not installed.
      ValueError: if a voice names a variant espeak-ng does not have (it would silently speak
        with its default variant instead).
      RuntimeError: if espeak-ng fails on an utterance (its voice, speed, text and error).
    """
    espeak = audio.require_program("espeak-ng", "espeak-ng")
    audio.require_program("sox", "sox")
    _check_variants(espeak, {utterance.voice for utterance in utterances})
    os.makedirs(cache_dir, exist_ok=True)
    paths = [os.path.join(cache_dir, utterance.file_name()) for utterance in utterances]
    missing = [(utterance, path) for utterance, path in zip(utterances, paths)
               if not os.path.exists(path)]
    with concurrent.futures.ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        for _ in pool.map(lambda job: _synthesize(espeak, *job), missing):
            pass
    return paths


def phonemize(texts: Sequence[str], voice: str) -> list[str]:
    """The phonemes espeak-ng's `voice` speaks for each text (one espeak-ng run for all): its
    `-x --sep=|` mnemonics, words separated by spaces and phonemes within a word by "|", e.g.
    "D|@ k|'a|t" for "the cat". Texts are normalized transcripts (letters, space, apostrophe).

    Raises:
      FileNotFoundError: naming the Debian package, if espeak-ng is not installed.
      ValueError: if a text holds a line break or espeak-ng does not give one line per text.
    """
    espeak = audio.require_program("espeak-ng", "espeak-ng")
    broken = [text for text in texts if "\n" in text or "\r" in text]
    if broken:
        raise ValueError(f"cannot phonemize {broken[0]!r}: a text must be one line")
    # One sentence per line, each ended by a full stop so that espeak-ng ends a clause there.
    result = subprocess.run([espeak, "-q", "-x", "--sep=|", "-v", voice],
                            input="".join(f"{text}.\n" for text in texts), capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"espeak-ng -x failed for voice {voice!r}: "
                           f"{result.stderr.strip() or f'exit code {result.returncode}'}")
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if len(lines) != len(texts):
        raise ValueError(f"espeak-ng voice {voice!r} gave {len(lines)} lines of phonemes for "
                         f"{len(texts)} texts; a text may hold a clause break")
    return lines


def _check_variants(espeak: str, voices: set[str]) -> None:
    """Raises ValueError if a "voice+variant" names a variant `espeak-ng --voices=variant` lacks."""
    wanted = {voice.partition("+")[2]: voice for voice in voices if "+" in voice}
    if not wanted:
        return
    listing = subprocess.run([espeak, "--voices=variant"], capture_output=True, text=True,
                             check=True).stdout.splitlines()[1:]
    known = {row.split()[4].removeprefix("!v/") for row in listing if len(row.split()) > 4}
    unknown = sorted(variant for variant in wanted if variant not in known)
    if unknown:
        raise ValueError(f"espeak-ng has no voice variant {unknown[0]!r} (voice "
                         f"{wanted[unknown[0]]!r}); `espeak-ng --voices=variant` lists them, "
                         f"e.g. {sorted(known)[:5]}")


def _synthesize(espeak: str, utterance: Utterance, path: str) -> None:
    """espeak-ng → a temporary 22,050 Hz wav → sox → `path` (atomic)."""
    handle, raw_path = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".espeak-",
                                        suffix=".wav")
    os.close(handle)
    try:
        spoken = f"[[{utterance.phonemes}]]" if utterance.phonemes else utterance.text
        result = subprocess.run(
            [espeak, "-v", utterance.voice, "-s", str(utterance.words_per_minute), "-w", raw_path],
            input=spoken, capture_output=True, text=True, check=False)
        if result.returncode != 0 or os.path.getsize(raw_path) == 0:
            raise RuntimeError(f"espeak-ng failed on voice {utterance.voice!r} at "
                               f"{utterance.words_per_minute} words/min for {spoken!r}: "
                               f"{result.stderr.strip() or f'exit code {result.returncode}'}")
        audio.convert_to_16k_mono(raw_path, path)
    finally:
        os.remove(raw_path)
