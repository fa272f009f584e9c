"""A user directory (`--t2t_usr_dir=docs/extending_example`): importing it registers a toy problem,
a toy model and a toy hparams set, one file each (docs/extending.md walks through them)."""
import pathlib

from t2t import registry

from . import toy_model, toy_problem  # noqa: F401  (their decorators register them)

registry.hparams_sets.add("tagger_tiny", pathlib.Path(__file__).with_name("tagger_tiny.gin"))
