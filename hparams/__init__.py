"""Registered hparams sets: every `*.gin` file in this folder, registered under its file name.

A set binds T2T-style macros (`hidden_size = 512`) and wires them to configurables; sets may
`include` each other by file name (this folder is on gin's search path).
"""
import pathlib

import gin

from t2t import registry

HPARAMS_DIR = pathlib.Path(__file__).parent

gin.add_config_file_search_path(str(HPARAMS_DIR))
for _gin_file in sorted(HPARAMS_DIR.glob("*.gin")):
    registry.hparams_sets.add(_gin_file.stem, _gin_file)
