"""How to decode: the parameters every model shares, parsed from `--decode_hparams`.

    params = parse_decode_hparams("beam_size=4,alpha=0.6")              # DecodeParams
    params = parse_decode_hparams(text, model.DECODE_PARAMS)            # a model's own subclass

A model whose decoding has parameters of its own (e.g. a CTC model's language models) declares a
frozen dataclass subclass of `DecodeParams` as its `Model.DECODE_PARAMS`; its fields are then
valid decode hparams for that model and unknown for every other one. A subclass checks its own
fields by extending `validation_errors`.
"""
from __future__ import annotations

import dataclasses
import difflib
from typing import TypeVar

import tensorflow as tf

Params = TypeVar("Params", bound="DecodeParams")


@dataclasses.dataclass(frozen=True)
class DecodeParams:
    """What every model's decoding reads (`--decode_hparams="beam_size=4,alpha=0.6"`).

    Attributes:
      beam_size: 1 decodes greedily (or samples, if temperature > 0); more runs beam search.
      alpha: exponent of the GNMT length penalty ((5 + length) / 6) ** alpha in beam search.
      extra_length: decode up to input_length + extra_length symbols (T2T's decode_length).
      max_length: if > 0, a cap on the decoded length.
      temperature: if > 0 (and beam_size == 1), sample from softmax(logits / temperature).
      top_k: if > 0, sample only among the top_k most likely symbols.
      batch_size: sentences per decoding batch (used by the decoder CLI).
      seed: seed of the (stateless, reproducible) sampling.
    """
    beam_size: int = 1
    alpha: float = 0.6
    extra_length: int = 50
    max_length: int = 0
    temperature: float = 0.0
    top_k: int = 0
    batch_size: int = 32
    seed: int = 0

    def __post_init__(self):
        errors = self.validation_errors()
        if errors:
            raise ValueError("invalid decode params: " + "; ".join(errors))

    def validation_errors(self) -> list[str]:
        """What is wrong with these values, one message each (empty when they are valid)."""
        errors = [f"{name}={getattr(self, name)} must be >= {low}"
                  for name, low in [("beam_size", 1), ("alpha", 0), ("extra_length", 0),
                                    ("max_length", 0), ("temperature", 0), ("top_k", 0),
                                    ("batch_size", 1)]
                  if getattr(self, name) < low]
        if self.temperature > 0 and self.beam_size > 1:
            errors.append("sampling (temperature > 0) and beam search (beam_size > 1) "
                          "cannot be combined")
        if self.top_k > 0 and self.temperature == 0:
            errors.append("top_k only applies to sampling; set temperature > 0")
        return errors

    def decode_length(self, input_length: int | tf.Tensor) -> int | tf.Tensor:
        """Maximum decoded length: input_length + extra_length, capped by max_length if set."""
        length = input_length + self.extra_length
        if self.max_length and tf.is_tensor(length):
            return tf.minimum(length, self.max_length)
        return min(length, self.max_length) if self.max_length else length


def parse_decode_hparams(text: str, params_class: type[Params] = DecodeParams) -> Params:
    """Parses "beam_size=4,alpha=0.6" into `params_class`; unset fields keep their defaults.

    Raises ValueError on an unknown name (with the closest valid names), a value of the wrong type,
    a repeated name or an item that is not name=value. Nothing is silently ignored.
    """
    fields = {field.name: type(field.default) for field in dataclasses.fields(params_class)}
    valid = ", ".join(fields)
    values: dict[str, int | float | str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, equals, value = (part.strip() for part in item.partition("="))
        if not equals:
            raise ValueError(f"decode hparam {item!r} is not name=value; valid names: {valid}")
        if name not in fields:
            close = difflib.get_close_matches(name, fields, n=3)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise ValueError(f"unknown decode hparam {name!r} in {item!r}.{hint} "
                             f"Valid names: {valid}")
        if name in values:
            raise ValueError(f"decode hparam {name!r} is given twice in {text!r}")
        try:
            values[name] = fields[name](value)
        except ValueError:
            raise ValueError(f"decode hparam {item!r}: {value!r} is not a valid "
                             f"{fields[name].__name__}") from None
    return params_class(**values)
