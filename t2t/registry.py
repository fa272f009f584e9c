"""Name → class/function registries for problems, models and hparams sets.

    @register_problem
    class AlgorithmicReverse(Problem): ...      # registered as "algorithmic_reverse"

    @register_model("transformer")
    class Transformer(Model): ...

    @register_hparams
    def transformer_tiny() -> str: ...          # returns gin bindings

Names default to the snake_case of the class or function name. Registering a name twice is an
error; looking up an unknown name raises `UnknownNameError` listing the closest registered names.
"""
from __future__ import annotations

import difflib
import importlib.util
import pathlib
import re
import sys
from typing import Any, TypeVar

T = TypeVar("T")


class RegistryError(ValueError):
    """Base class of registry errors."""


class UnknownNameError(RegistryError, KeyError):
    """Raised when a name is looked up that nobody registered."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message.
        return self.args[0]


class DuplicateNameError(RegistryError):
    """Raised when a second object is registered under a taken name."""


def snake_case(name: str) -> str:
    """`AlgorithmicReverse` → `algorithmic_reverse`, `TransformerLM2` → `transformer_lm2`."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return name.lower()


class Registry:
    """A named collection of registered objects of one kind (problem, model, hparams set)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Any] = {}

    def register(self, name_or_obj: str | T | None = None) -> Any:
        """Decorator: `@registry.register`, `@registry.register()` or `@registry.register("name")`."""
        if isinstance(name_or_obj, str) or name_or_obj is None:
            explicit_name = name_or_obj

            def decorator(obj: T) -> T:
                return self._add(explicit_name or snake_case(obj.__name__), obj)

            return decorator
        return self._add(snake_case(name_or_obj.__name__), name_or_obj)

    def add(self, name: str, obj: Any) -> Any:
        """Registers `obj` under `name` without a decorator (e.g. a gin file)."""
        return self._add(name, obj)

    def _add(self, name: str, obj: T) -> T:
        if name in self._entries:
            raise DuplicateNameError(
                f"{self.kind} {name!r} is already registered (by {_describe(self._entries[name])}); "
                f"cannot register {_describe(obj)} under the same name.")
        self._entries[name] = obj
        if isinstance(obj, type):
            obj.registered_name = name
        return obj

    def get(self, name: str) -> Any:
        """Returns the object registered as `name`, or raises `UnknownNameError`."""
        if name in self._entries:
            return self._entries[name]
        close = difflib.get_close_matches(name, self._entries, n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        known = ", ".join(sorted(self._entries)) or "none"
        raise UnknownNameError(
            f"unknown {self.kind} {name!r}.{hint} Registered {self.kind}s: {known}.")

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def unregister(self, name: str) -> None:
        """Removes `name` (tests use this to keep the global registries clean)."""
        del self._entries[name]


def _describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else repr(obj)


problems = Registry("problem")
models = Registry("model")
hparams_sets = Registry("hparams set")

register_problem = problems.register
register_model = models.register
register_hparams = hparams_sets.register


def help_text() -> str:
    """What `t2t-trainer --registry_help` prints: every registered name, by kind."""
    lines = []
    for registry in (problems, models, hparams_sets):
        lines.append(f"{registry.kind}s:")
        lines.extend(f"  {name}" for name in registry.names())
    return "\n".join(lines)


def import_usr_dir(usr_dir: str) -> None:
    """Imports the user's folder `usr_dir` as a package so that its registration decorators run.

    The folder must contain `__init__.py`, which imports the modules that register things.
    """
    path = pathlib.Path(usr_dir).expanduser().resolve()
    init_file = path / "__init__.py"
    if not path.is_dir():
        raise FileNotFoundError(f"--t2t_usr_dir={usr_dir}: no such directory")
    if not init_file.is_file():
        raise FileNotFoundError(
            f"--t2t_usr_dir={usr_dir}: expected {init_file} that imports the modules to register")
    module_name = f"t2t_usr_dir_{path.name}"
    if module_name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        module_name, init_file, submodule_search_locations=[str(path)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise


