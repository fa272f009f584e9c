"""Synthetic utterances for speech model tests: each character is a fixed random 80-dim "sound"
held for CHARACTER_FRAMES frames, with PAUSE_FRAMES of a "pause" sound between characters (so
doubled letters are audible), plus a little noise."""
import numpy as np
import tensorflow as tf

from t2t.ids import EOS_ID

CHARACTER_FRAMES, PAUSE_FRAMES = 8, 4
TRANSCRIPTS = [[4, 5, 6], [6, 4, 4, 5], [7, 5], [5, 7, 7, 4, 6]]


def synthetic_batch(transcripts: list[list[int]], seed: int = 0) -> dict[str, tf.Tensor]:
    """{"inputs": float32 [batch, frames, 80] 0-padded, "targets": int32 [batch, length]};
    `seed` draws the noise, the sounds are always the same."""
    rng = np.random.default_rng(seed)
    sounds = np.random.default_rng(123).standard_normal([31, 80]).astype(np.float32)
    utterances = []
    for ids in transcripts:
        frames = [sounds[30]] * PAUSE_FRAMES
        for character in ids:
            frames += [sounds[character]] * CHARACTER_FRAMES + [sounds[30]] * PAUSE_FRAMES
        utterances.append(np.stack(frames) + 0.1 * rng.standard_normal([len(frames), 80]))
    inputs = np.zeros([len(utterances), max(map(len, utterances)), 80], np.float32)
    targets = np.zeros([len(utterances), max(map(len, transcripts)) + 1], np.int32)
    for row, (utterance, ids) in enumerate(zip(utterances, transcripts)):
        inputs[row, :len(utterance)] = utterance
        targets[row, :len(ids) + 1] = ids + [EOS_ID]
    return {"inputs": tf.constant(inputs), "targets": tf.constant(targets)}
