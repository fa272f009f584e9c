"""The dependency rules of the code base (README.md, "Layout"), checked on every module's imports.

  - the generic core (t2t/ but t2t/speech and t2t/lm) imports no application package and no
    content folder (problems, models, hparams, data_gen, scripts);
  - the applications import no content folder, and t2t.lm (n-gram LMs over any text) no speech
    module;
  - no module imports itself through others (no import cycle).

Imports are read from the source (`ast`), at module level and inside functions, except those
under `if TYPE_CHECKING:`, which never run.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Where each installed package's source lives in the repository.
SOURCE_FOLDERS = {"t2t": "t2t", "t2t.problems": "problems", "t2t.models": "models",
                  "t2t.hparams": "hparams", "t2t.data_gen": "data_gen", "t2t.scripts": "scripts"}
APPLICATIONS = ("t2t.speech", "t2t.lm")
CONTENT = ("t2t.problems", "t2t.models", "t2t.hparams", "t2t.data_gen", "t2t.scripts")


def module_sources() -> dict[str, pathlib.Path]:
    """Module name → source file, for every module of the installed t2t namespace."""
    modules = {}
    for package, folder in SOURCE_FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((package, *parts))] = path
    return modules


def imported_modules(source: str, known: set[str]) -> set[str]:
    """The known modules that `source` imports at run time."""
    tree = ast.parse(source)
    skipped = {id(node) for statement in ast.walk(tree)
               if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test)
               for node in ast.walk(statement)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known
                      else node.module for alias in node.names}
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    sources = module_sources()
    known = set(sources)
    return {name: imported_modules(path.read_text(encoding="utf-8"), known)
            for name, path in sources.items()}


def in_package(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def forbidden_arrows(graph: dict[str, set[str]]) -> list[str]:
    """Every import that breaks a layering rule, as "importer -> imported (rule)"."""
    arrows = []
    for module, imports in sorted(graph.items()):
        for imported in sorted(imports):
            if in_package(module, CONTENT):
                continue
            if in_package(imported, CONTENT):
                arrows.append(f"{module} -> {imported} (the core imports no content folder)")
            elif not in_package(module, APPLICATIONS) and in_package(imported, APPLICATIONS):
                arrows.append(f"{module} -> {imported} (the generic core imports no application)")
            elif in_package(module, ("t2t.lm",)) and in_package(imported, ("t2t.speech",)):
                arrows.append(f"{module} -> {imported} (t2t.lm imports no speech module)")
    return arrows


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles found by a depth-first search, each as [a, b, ..., a]."""
    cycles, state, path = [], {}, []

    def visit(module: str) -> None:
        state[module], _ = "open", path.append(module)
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == "open":
                cycles.append(path[path.index(imported):] + [imported])
            elif imported not in state:
                visit(imported)
        state[module], _ = "done", path.pop()

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return cycles


def test_every_module_is_read():
    graph = import_graph()
    assert {"t2t.problem", "t2t.decode.search", "t2t.speech.ctc_model", "t2t.lm.char_lm",
            "t2t.models.transformer", "t2t.scripts.trainer"} <= set(graph)
    assert "t2t.speech.ctc_search" in graph["t2t.speech.ctc_model"]


def test_the_generic_core_imports_no_application_and_no_content_folder():
    assert forbidden_arrows(import_graph()) == []


def test_no_import_cycle():
    assert import_cycles(import_graph()) == []


@pytest.mark.parametrize("graph, expected", [
    ({"t2t.decode.inference": {"t2t.speech.adaptation"}, "t2t.speech.adaptation": set()},
     ["t2t.decode.inference -> t2t.speech.adaptation (the generic core imports no application)"]),
    ({"t2t.problem": {"t2t.data_gen.shards"}, "t2t.data_gen.shards": set()},
     ["t2t.problem -> t2t.data_gen.shards (the core imports no content folder)"]),
    ({"t2t.lm.char_lm": {"t2t.speech.transcripts"}, "t2t.speech.transcripts": set()},
     ["t2t.lm.char_lm -> t2t.speech.transcripts (t2t.lm imports no speech module)"]),
    ({"t2t.models.x": {"t2t.speech.a", "t2t.problems.y"}, "t2t.speech.a": {"t2t.lm.b"}}, []),
])
def test_the_rules_catch_each_kind_of_arrow(graph, expected):
    assert forbidden_arrows(graph) == expected


def test_cycles_are_found_and_type_checking_imports_are_not_followed():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []
    source = ("from typing import TYPE_CHECKING\nimport t2t.b\nif TYPE_CHECKING:\n"
              "    from t2t.c import C\ndef f():\n    from t2t import d\n")
    assert imported_modules(source, {"t2t.b", "t2t.c", "t2t.d"}) == {"t2t.b", "t2t.d"}
