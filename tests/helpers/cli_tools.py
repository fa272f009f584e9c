"""Running t2t's command-line tools as a user does: a real subprocess, quiet TensorFlow."""
import os
import subprocess
import sys


def run_tool(tool: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs `python -m t2t.scripts.<tool> args...` and returns its exit code and output."""
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    return subprocess.run([sys.executable, "-m", f"t2t.scripts.{tool}", *args],
                          capture_output=True, text=True, env=environment, timeout=300)
