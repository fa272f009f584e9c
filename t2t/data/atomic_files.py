"""Files that appear whole or not at all, with a new file's usual permissions.

    with atomic_files.temporary_beside(path) as temp_path:
        subprocess.run(["sox", ..., temp_path], check=True)   # fill temp_path in any way
    # here temp_path has been renamed to `path`; after an error it is removed, `path` untouched

    atomic_files.write_text(path, text)

A temporary file beside the destination (same directory, hence same file system) is renamed over it
only once complete, so a reader or an interrupted run never sees half a file. `tempfile` makes
files only their owner can read (0600); before the rename the file gets 0666 minus the umask, like
any file opened with open(path, "w"), so other users can read a shared run directory or LM.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator


def _read_umask() -> int:
    """The process's umask (os.umask can only be read by setting it, so read once, at import,
    not while threads may be creating files)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_read_umask()


@contextlib.contextmanager
def temporary_beside(path: str) -> Iterator[str]:
    """Yields the path of an empty hidden temporary file in `path`'s directory (created if needed);
    see the module docstring."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temp_path = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                                         suffix=".incomplete")
    os.close(handle)
    try:
        yield temp_path
        os.chmod(temp_path, _FILE_MODE)
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.remove(temp_path)
        raise


def write_text(path: str, text: str) -> None:
    """Writes `text` (UTF-8) to `path` atomically."""
    with temporary_beside(path) as temp_path:
        with open(temp_path, "w", encoding="utf-8") as file:
            file.write(text)
