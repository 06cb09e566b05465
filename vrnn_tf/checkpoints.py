"""Checkpoints: `.keras` archives (model, optimizer, step counter), written atomically."""

import glob
import os
import re

CHECKPOINT_PATTERN = re.compile(r"ckpt-(\d+)\.keras$")


def checkpoint_dir(workdir):
    return os.path.join(workdir, "checkpoints")


def list_checkpoints(workdir):
    """`[(step, path)]` of complete checkpoints, oldest first."""
    found = []
    for path in glob.glob(os.path.join(checkpoint_dir(workdir), "ckpt-*.keras")):
        match = CHECKPOINT_PATTERN.search(os.path.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def save(model, workdir, step, keep=3):
    """Saves `ckpt-{step}.keras` (temporary name, then rename) and prunes old ones."""
    directory = checkpoint_dir(workdir)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"ckpt-{step:08d}.keras")
    tmp = os.path.join(directory, f".tmp-ckpt-{step:08d}-{os.getpid()}.keras")
    model.save(tmp)
    os.replace(tmp, path)
    for _, old in list_checkpoints(workdir)[:-keep]:
        os.remove(old)
    return path


def restore_latest(model, workdir):
    """Loads the newest checkpoint into a compiled model; returns its step or None."""
    checkpoints = list_checkpoints(workdir)
    if not checkpoints:
        return None
    step, path = checkpoints[-1]
    model.load_weights(path)
    return step
