"""The audio modality: log-mel features [batch, frames, F], padded with all-zero frames.

    ProblemInfo(inputs=AudioModality(feature_size=80), target_vocab_size=30)

A model that reads inputs through their modality (e.g. the Transformer) then gets
`t2t.speech.front_end.AudioFrontEnd` as its input encoder; a model built for audio alone (e.g.
DeepSpeech2) reads `feature_size` and builds its own layers.
"""
from __future__ import annotations

import dataclasses

from t2t.layers.core import Embedding
from t2t.modality import InputEncoder, Modality
from t2t.speech.front_end import AudioFrontEnd


@dataclasses.dataclass(frozen=True)
class AudioModality(Modality):
    """float32 features [batch, frames, feature_size] (feature_size = mel bins × channels)."""
    feature_size: int

    def input_encoder(self, d_model: int, shared_embedding: Embedding | None = None,
                      name: str = "audio_front_end") -> InputEncoder:
        if shared_embedding is not None:
            raise ValueError(f"{name}: audio inputs cannot share an embedding table")
        return AudioFrontEnd(self.feature_size, d_model, name=name)
