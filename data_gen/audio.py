"""Reading and converting wav files: what the speech problems accept, and clear errors otherwise.

The acoustic front end (`t2t.speech.audio_features`) wants 16 kHz mono audio. `read_wav` accepts
exactly one kind of file, a RIFF/WAVE with 16-bit signed PCM, one channel, 16,000 Hz (the format
LibriSpeech and `convert_to_16k_mono` produce), and rejects everything else with a `WavError` that
names the file, what it found and what was expected:

    8-bit, 24-bit, 32-bit or float samples; two or more channels; another sample rate; no samples;
    a file that is not RIFF/WAVE, or whose header or data chunk is cut short.

Other sample rates are not resampled when decoding (`t2t-decoder` rejects them, and says how to
convert); at data-generation time `convert_to_16k_mono` resamples with `sox` (Debian package `sox`).

Silence (all-zero samples) is accepted: its features are all zeros (see `audio_features`), which the
acoustic model reads as zero frames and transcribes as "". Problems drop silent *training*
utterances, since no alignment can produce their transcripts.
"""
from __future__ import annotations

import shutil
import struct
import subprocess

import numpy as np

from t2t.data import atomic_files

SAMPLE_RATE = 16_000  # Hz
_PCM = 1
_EXTENSIBLE = 0xFFFE
_FORMAT_NAMES = {_PCM: "PCM", 3: "IEEE float", 6: "A-law", 7: "mu-law", _EXTENSIBLE: "extensible"}
_EXPECTED = "16-bit PCM, mono, 16000 Hz"


class WavError(ValueError):
    """A wav file that is not 16-bit PCM mono 16 kHz, or is damaged; the message names the file."""


def require_program(program: str, debian_package: str) -> str:
    """The path of `program`; raises FileNotFoundError naming the Debian package if it is missing."""
    path = shutil.which(program)
    if path is None:
        raise FileNotFoundError(f"`{program}` is not installed; install the Debian package "
                                f"{debian_package!r} (apt-get install {debian_package})")
    return path


def read_wav(path: str) -> np.ndarray:
    """Reads a 16-bit PCM mono 16 kHz wav file → int16 samples [samples].

    Raises:
      FileNotFoundError: if `path` does not exist.
      WavError: for any other kind of file, or a damaged or empty one (see the module docstring).
    """
    with open(path, "rb") as file:
        data = file.read()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError(f"{path}: not a wav file (no RIFF/WAVE header); expected {_EXPECTED}")
    chunks = _chunks(path, data)
    if "fmt " not in chunks:
        raise WavError(f"{path}: corrupt wav file: no 'fmt ' chunk before the samples")
    _check_format(path, chunks["fmt "])
    if "data" not in chunks:
        raise WavError(f"{path}: corrupt wav file: no 'data' chunk")
    samples = chunks["data"]
    if len(samples) < 2:
        raise WavError(f"{path}: the wav file holds no samples; expected {_EXPECTED} audio")
    return np.frombuffer(samples[:len(samples) // 2 * 2], dtype="<i2").astype(np.int16)


def _chunks(path: str, data: bytes) -> dict[str, bytes]:
    """RIFF chunk id → body, up to and including the "data" chunk."""
    chunks: dict[str, bytes] = {}
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset:offset + 4].decode("latin-1")
        (size,) = struct.unpack("<I", data[offset + 4:offset + 8])
        body = data[offset + 8:offset + 8 + size]
        if len(body) < size:
            raise WavError(f"{path}: corrupt or truncated wav file: chunk {chunk_id!r} claims "
                           f"{size} bytes but only {len(body)} follow")
        chunks[chunk_id] = body
        if chunk_id == "data":
            break
        offset += 8 + size + size % 2  # chunks are padded to an even size
    return chunks


def _check_format(path: str, fmt: bytes) -> None:
    if len(fmt) < 16:
        raise WavError(f"{path}: corrupt wav file: 'fmt ' chunk of {len(fmt)} bytes (needs 16)")
    audio_format, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if audio_format == _EXTENSIBLE and len(fmt) >= 26:
        audio_format = struct.unpack("<H", fmt[24:26])[0]  # the sub-format GUID starts with it
    found = (f"{_FORMAT_NAMES.get(audio_format, f'format {audio_format}')}, {bits}-bit, "
             f"{channels} channel(s), {rate} Hz")
    problems = []
    if audio_format != _PCM or bits != 16:
        problems.append("16-bit PCM samples")
    if channels != 1:
        problems.append("one channel (mono)")
    if rate != SAMPLE_RATE:
        problems.append(f"a {SAMPLE_RATE} Hz sample rate")
    if problems:
        raise WavError(f"{path}: {found}; expected {' and '.join(problems)} ({_EXPECTED}). "
                       f"Convert it with: sox '{path}' -r {SAMPLE_RATE} -c 1 -b 16 -e signed "
                       "out.wav")


def write_wav(path: str, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Writes int16 samples [samples] as a 16-bit PCM mono wav, atomically."""
    samples = np.asarray(samples)
    if samples.dtype != np.int16 or samples.ndim != 1:
        raise ValueError(f"write_wav({path}): expected int16 samples [samples], got "
                         f"{samples.dtype} {list(samples.shape)}")
    body = samples.astype("<i2").tobytes()
    header = (b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVE" + b"fmt " +
              struct.pack("<IHHIIHH", 16, _PCM, 1, sample_rate, sample_rate * 2, 2, 16) +
              b"data" + struct.pack("<I", len(body)))
    with atomic_files.temporary_beside(path) as temp_path:
        with open(temp_path, "wb") as file:
            file.write(header + body)


def convert_to_16k_mono(source: str, destination: str) -> None:
    """Converts any audio file sox reads into a 16-bit PCM mono 16 kHz wav (resampling, mixing
    channels down), written atomically to `destination`. sox dithers when it reduces precision;
    `-R` seeds that dither, so a conversion gives the same samples every time.

    Raises:
      FileNotFoundError: if sox is not installed.
      WavError: if sox cannot read or convert `source` (its message included).
    """
    sox = require_program("sox", "sox")
    with atomic_files.temporary_beside(destination) as temp_path:
        result = subprocess.run(
            [sox, "-V1", "-R", source, "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed",
             "-t", "wav", temp_path], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise WavError(f"{source}: sox could not convert it to {_EXPECTED}: "
                           f"{result.stderr.strip()}")
