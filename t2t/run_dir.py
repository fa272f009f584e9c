"""Rebuilding what a training run directory describes: its problem and its (untrained) model.

A run directory written by t2t-trainer holds config.gin (hyperparameters plus the `problem`,
`model` and `data_dir` macros) and checkpoints. The decoder, t2t-avg-all and the benchmarks all
start from it the same way:

    run = run_dir.rebuild(output_dir)      # then restore a checkpoint into run.model
"""
from __future__ import annotations

from typing import NamedTuple

from t2t import config, registry
from t2t.model import Model
from t2t.problem import Problem


class Run(NamedTuple):
    problem: Problem
    model: Model
    data_dir: str


def rebuild(output_dir: str, data_dir: str = "") -> Run:
    """Parses <output_dir>/config.gin and builds its problem (vocabularies loaded from `data_dir`,
    default: the data_dir the run trained on) and its model with freshly initialized weights."""
    problem_name, model_name, trained_data_dir = config.read_config(output_dir)
    data_dir = data_dir or trained_data_dir
    problem = registry.problems.get(problem_name)()
    problem.load_vocabularies(data_dir)
    return Run(problem, registry.models.get(model_name)(problem.info()), data_dir)
