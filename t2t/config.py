"""Hyperparameters through gin: registered sets, T2T-style short overrides, the saved config.

A registered hparams set is a gin file (or a function returning gin text) that binds *macros* —
the flat, T2T-style names such as `hidden_size = 512` — and wires them to configurables
(`Transformer.hidden_size = %hidden_size`). Composition order, later wins:

    1. --hparams_set=transformer_base      the set
    2. --gin_file=a.gin --gin_file=b.gin   whole gin files
    3. --hparams="hidden_size=64,..."      short overrides; each name must be a macro of the set and
                                           keep its type (int may widen to float)
    4. --gin_param="Adam.beta2 = 0.98"     single gin bindings

The full result is written to `<output_dir>/config.gin` together with the `problem` and `model`
macros, and the decoder parses that file back, so decoding always builds the trained architecture.
"""
from __future__ import annotations

import ast
import difflib
import os
import pathlib
from typing import Any, Sequence

import gin
from gin import config_parser

from t2t import registry
from t2t.data import atomic_files

CONFIG_FILE = "config.gin"


class HparamsError(ValueError):
    """A bad --hparams_set/--hparams/--gin_* value."""


def configure(hparams_set: str = "", hparams: str = "", gin_files: Sequence[str] = (),
              gin_params: Sequence[str] = ()) -> None:
    """Clears gin and applies the four layers above. Configurables must be imported before."""
    gin.clear_config()
    if hparams_set:
        parse_gin_text(hparams_set_text(hparams_set), f"--hparams_set={hparams_set}")
    for path in gin_files:
        if not os.path.isfile(path):
            raise HparamsError(f"--gin_file={path}: no such file")
        with open(path, encoding="utf-8") as file:
            parse_gin_text(file.read(), f"--gin_file={path}")
    apply_overrides(hparams)
    for binding in gin_params:
        parse_gin_text(binding, f"--gin_param={binding!r}")


def hparams_set_text(name: str) -> str:
    """The gin text of the registered set `name` (a .gin file or a function returning gin text)."""
    entry = registry.hparams_sets.get(name)
    if isinstance(entry, pathlib.Path):
        return entry.read_text(encoding="utf-8")
    text = entry()
    if not isinstance(text, str):
        raise HparamsError(f"hparams set {name!r} returned {type(text).__name__}, expected gin text")
    return text


def parse_gin_text(text: str, origin: str) -> None:
    """Parses gin text; every gin error names the flag or file it came from."""
    try:
        gin.parse_config(text)
    except Exception as error:  # gin raises ValueError, SyntaxError, KeyError...
        raise HparamsError(f"{origin}: {error}") from error


def apply_overrides(hparams: str) -> None:
    """Applies "name=value,name2=value2"; each name must be an existing macro of the same type."""
    for item in split_overrides(hparams):
        name, sep, value_text = (part.strip() for part in item.partition("="))
        if not sep or not name.isidentifier():
            raise HparamsError(f"--hparams: {item!r} is not NAME=VALUE")
        old_value = macro_value(name)
        new_value = _parse_value(value_text, old_value)
        if not _same_type(old_value, new_value):
            raise HparamsError(
                f"--hparams: {name}={value_text} is {type(new_value).__name__}, but {name} is "
                f"{type(old_value).__name__} (currently {old_value!r})")
        gin.bind_parameter(f"{name}/macro.value", new_value)


def split_overrides(text: str) -> list[str]:
    """Splits on commas outside brackets and quotes: "a=1,b=[1,2]" → ["a=1", "b=[1,2]"]."""
    items, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def macro_names() -> list[str]:
    """Names of all macros bound in the current gin config, sorted.

    gin has no public listing of macros, so this parses its public dump, `gin.config_str()`, back
    with gin's own parser: a binding without a parameter name (`name = value`, `scope/name = value`)
    is a macro, named as gin names it. Every value that came from gin text prints back as gin text;
    a macro bound from Python to an object gin cannot print (which config.gin could not hold
    either) is an HparamsError.
    """
    try:
        statements = config_parser.ConfigParser(gin.config_str(), _NamesOnly())
        return sorted({f"{statement.scope}/{statement.selector}" if statement.scope
                       else statement.selector
                       for statement in statements
                       if isinstance(statement, config_parser.BindingStatement)
                       and not statement.arg_name})
    except SyntaxError as error:
        raise HparamsError(f"a gin macro's value cannot be written as gin text: {error}") from error


class _NamesOnly(config_parser.ParserDelegate):
    """Parses `@configurable` and `%macro` references in values without resolving them."""

    def configurable_reference(self, scoped_configurable_name: str, evaluate: bool) -> str:
        return scoped_configurable_name

    def macro(self, macro_name: str) -> str:
        return macro_name


def macro_value(name: str) -> Any:
    """The value bound to macro `name`; an unknown name raises HparamsError with close names."""
    known = macro_names()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise HparamsError(f"--hparams: unknown hyperparameter {name!r}.{hint} "
                           f"Known: {', '.join(known) or 'none (no --hparams_set?)'}")
    return gin.query_parameter(f"{name}/macro.value")


def _parse_value(text: str, old_value: Any) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        if isinstance(old_value, str):
            return text  # T2T allowed bare strings: optimizer=adam
        raise HparamsError(f"--hparams: cannot parse value {text!r}") from None


def _same_type(old: Any, new: Any) -> bool:
    if old is None:
        return True
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new)
    if isinstance(old, float):
        return isinstance(new, (int, float))
    return type(old) is type(new)


def write_config(output_dir: str, problem: str, model: str, data_dir: str) -> str:
    """Writes the full gin config plus `problem`, `model` and `data_dir` macros to output_dir,
    atomically. The decoder finds the problem's vocabularies through `data_dir`."""
    bind_run_macros(problem, model, data_dir)
    text = gin.config_str()
    path = os.path.join(output_dir, CONFIG_FILE)
    atomic_files.write_text(path, text)
    return path


def bind_run_macros(problem: str, model: str, data_dir: str) -> None:
    """Binds the macros that say what a run trained: problem and model names, data directory."""
    gin.bind_parameter("problem/macro.value", problem)
    gin.bind_parameter("model/macro.value", model)
    gin.bind_parameter("data_dir/macro.value", os.path.abspath(data_dir))


def read_config(output_dir: str) -> tuple[str, str, str]:
    """Parses `<output_dir>/config.gin` (after clearing gin); returns (problem, model, data_dir)."""
    path = os.path.join(output_dir, CONFIG_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: --output_dir must be a directory written by "
                                "t2t-trainer")
    gin.clear_config()
    with open(path, encoding="utf-8") as file:
        parse_gin_text(file.read(), path)
    return tuple(gin.query_parameter(f"{name}/macro.value")
                 for name in ("problem", "model", "data_dir"))
