"""Checkpoints: `.keras` archives (model, optimizer, step counter, noise state), written atomically.

A checkpoint is written to a temporary name, flushed to disk and renamed, so
a kill at any moment leaves either the complete file or none. A checkpoint
that cannot be read all the same (disk damage, a copy cut short) is renamed
`*.corrupt` and the previous one is used, with a warning. Weights holding a
NaN or Inf are never written (`vrnn_tf.nonfinite.check_finite`).
"""

import glob
import os
import re

from absl import logging

from vrnn_tf import nonfinite

CHECKPOINT_PATTERN = re.compile(r"ckpt-(\d+)\.keras$")
_TEMPORARY_GLOB = ".tmp-ckpt-*.keras"


class UnreadableCheckpointsError(RuntimeError):
    """Checkpoints exist but none can be read: training must not start over silently."""


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


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(model, workdir, step, keep=3):
    """Saves `ckpt-{step}.keras` (temporary name, fsync, rename) and prunes old ones.

    Raises:
        nonfinite.NonFiniteWeightsError: a weight or optimizer slot is NaN/Inf (nothing is written).
    """
    nonfinite.check_finite(model, f"checkpoint {step}")
    directory = checkpoint_dir(workdir)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"ckpt-{step:08d}.keras")
    tmp = os.path.join(directory, f".tmp-ckpt-{step:08d}-{os.getpid()}.keras")
    try:
        model.save(tmp)
        _fsync(tmp)  # Data on disk before the name: a power cut cannot leave an empty file.
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    _fsync(directory)
    for _, old in list_checkpoints(workdir)[:-keep]:
        os.remove(old)
    return path


def _remove_stale_temporaries(workdir):
    """Deletes the temporary files of saves that a kill interrupted."""
    for path in glob.glob(os.path.join(checkpoint_dir(workdir), _TEMPORARY_GLOB)):
        logging.warning("Removing %s, left by an interrupted checkpoint save.", path)
        os.remove(path)


def restore_latest(model, workdir):
    """Loads the newest readable checkpoint into a compiled model; returns its step or None.

    An unreadable checkpoint is renamed `<name>.corrupt` (kept for inspection,
    never read again) and the next older one is tried, with a warning.

    Raises:
        UnreadableCheckpointsError: checkpoints exist but none can be read.
    """
    _remove_stale_temporaries(workdir)
    found = list_checkpoints(workdir)
    for step, path in reversed(found):
        try:
            model.load_weights(path)
        except Exception as error:  # zipfile, h5py, json and Keras errors: any unreadable file.
            corrupt = path + ".corrupt"
            logging.warning(
                "Checkpoint %s cannot be read (%s: %s); moved to %s, trying the previous one.",
                path,
                type(error).__name__,
                str(error).splitlines()[0] if str(error) else "",
                corrupt,
            )
            os.replace(path, corrupt)
            continue
        return step
    if found:
        # A failed load may have half-overwritten the weights: never train on from them.
        raise UnreadableCheckpointsError(
            f"None of the checkpoints in {checkpoint_dir(workdir)} can be read "
            f"({', '.join(os.path.basename(p) for _, p in found)}, now *.corrupt). Delete the "
            "folder to start from scratch, or copy an intact ckpt-*.keras into it."
        )
    return None
