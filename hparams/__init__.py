"""Registered hparams sets: every `*.gin` file in this folder, registered under its file name.

A set binds T2T-style macros (`hidden_size = 512`) and wires them to configurables. Gin files
(these and users') include a set by its package path: `include 't2t/hparams/transformer_base.gin'`.
A file whose name starts with `_` is a piece that sets include, not a set
(`_training_wiring.gin`: the training macros' wiring).
"""
import pathlib

from t2t import registry

HPARAMS_DIR = pathlib.Path(__file__).parent

for _gin_file in sorted(HPARAMS_DIR.glob("*.gin")):
    if not _gin_file.name.startswith("_"):
        registry.hparams_sets.add(_gin_file.stem, _gin_file)
