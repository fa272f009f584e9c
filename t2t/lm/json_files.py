"""Versioned JSON files (the LMs): {"format": name, "version": int, ...fields}, written atomically
and read back with errors that name the file, what it should have been and the tool that writes it.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from t2t.data import atomic_files


def write(path: str, file_format: str, version: int, fields: dict[str, Any]) -> None:
    """Writes {"format", "version", **fields} to `path` as compact JSON, atomically."""
    data = {"format": file_format, "version": version, **fields}
    atomic_files.write_text(path, json.dumps(data, separators=(",", ":"), sort_keys=True))


def read(path: str, file_format: str, version: int, what: str, tool: str,
         check: Callable[[dict[str, Any]], str]) -> dict[str, Any]:
    """The JSON object in `path` (~ expanded), checked to be `file_format` at `version` and then
    by `check`, which says what is wrong with the object's fields ("" if nothing).

    Raises FileNotFoundError if there is no such file, ValueError naming the file if it is not JSON,
    not `file_format` (`what`, written by `tool`), another version or malformed.
    """
    path = os.path.expanduser(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} {path}: no such file")
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a {what} written by {tool} (not JSON: {error})") from None
    if not isinstance(data, dict) or data.get("format") != file_format:
        raise ValueError(f"{path} is not a {what} written by {tool} (no \"format\": "
                         f"{file_format!r})")
    if data.get("version") != version:
        raise ValueError(f"{path}: {what} version {data.get('version')!r}, but this t2t reads "
                         f"version {version}; retrain it with {tool}")
    problem = check(data)
    if problem:
        raise ValueError(f"{path}: malformed {what}: {problem}")
    return data
