"""How the CLI tools define their flags: each flag once, at module level; the flags several tools
read in scripts/common.py; no tool imports another."""
import ast
import importlib
import pathlib

from absl import flags

from t2t.scripts import common
from tests.helpers.cli_tools import run_tool

TOOLS = ("trainer", "datagen", "decoder", "avg_checkpoints", "char_lm", "word_lm")
SCRIPTS = pathlib.Path(common.__file__).parent


def test_the_tools_import_together_and_list_the_shared_flags_they_read():
    for tool in TOOLS:  # a flag defined twice would raise DuplicateFlagError here
        module = importlib.import_module(f"t2t.scripts.{tool}")
        assert set(module.SHARED_FLAGS) <= set(common.SHARED), tool
        key_flags = {flag.name for flag in flags.FLAGS.get_key_flags_for_module(module.__name__)}
        assert set(module.SHARED_FLAGS) <= key_flags, tool


def test_no_tool_imports_another_tool():
    for tool in TOOLS:
        tree = ast.parse((SCRIPTS / f"{tool}.py").read_text(encoding="utf-8"))
        imported = {f"{node.module}.{alias.name}" for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module
                    for alias in node.names}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for alias in node.names}
        scripts = {name for name in imported if name.startswith("t2t.scripts.")}
        assert scripts <= {"t2t.scripts.common"}, tool


def test_a_shared_flag_the_tool_does_not_read_is_refused(tmp_path):
    result = run_tool("avg_checkpoints", f"--output_dir={tmp_path}", "--problem=algorithmic_reverse")
    assert result.returncode != 0
    assert "this tool does not read --problem" in result.stderr
