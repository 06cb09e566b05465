"""Files written whole or not at all: written under a temporary name beside the target, renamed.

A reader (a resumed run, TensorBoard, a user's script) sees either the old file or the new
one, never half of one, and a kill leaves no partial file under the final name.
"""

import contextlib
import json
import os
import shutil


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renamed to `path` when the block succeeds.

    The temporary name ends like `path` (`.tmp-PID-NAME`), so writers that choose the
    format by extension (numpy, PIL, imageio, matplotlib, Keras) write the right one. On an
    error it is removed (a file or a folder) and the error propagates. A folder replaces an
    existing folder of that name only after it is complete.
    """
    directory, name = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".tmp-{os.getpid()}-{name}")
    _remove(tmp)
    try:
        yield tmp
        if os.path.isdir(tmp) and os.path.isdir(path):
            old = f"{tmp}-old"
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    finally:
        _remove(tmp)


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def write_text(path, text):
    """Writes `text` to `path` atomically."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        f.write(text)


def write_json(path, data):
    """Writes `data` as indented JSON (and a final newline) to `path` atomically."""
    write_text(path, json.dumps(data, indent=2) + "\n")
