"""The files of the BAIR robot pushing archive ("softmotion30_44k") that make each split.

The extracted archive holds `<data_dir>/train/traj_*_to_*.tfrecords` and
`<data_dir>/test/traj_*_to_*.tfrecords` (`data_dir` is the `softmotion30_44k` folder); each
record is one 30-frame trajectory (`data_prep.bair` reads them).

Splits (as in the paper: 43,264 train / 256 test sequences):
    `train`: every file of `train/` except `traj_256_to_511.tfrecords`.
    `val`:   `train/traj_256_to_511.tfrecords`, the paper's 256 test sequences.
    `test`:  every file of `test/` (the archive's own test set, 256 sequences).

Files are taken in the order of their first trajectory number (`traj_256_...` before
`traj_1024_...`); names that do not follow `traj_<a>_to_<b>.tfrecords` come last, by name.

Public API:
    SPLITS, VAL_FILE
    split_files(data_dir, split) -> list of file paths, in reading order
"""

import os
import re

SPLITS = ("train", "val", "test")
# Trajectories 256..511 of the train folder: the paper's test set, held out of `train`.
VAL_FILE = "traj_256_to_511.tfrecords"

_SETTING = "bair_dataset.data_dir"
_FILE_PATTERN = re.compile(r"^traj_(\d+)_to_(\d+)\.tfrecords$")


def _hint(data_dir):
    return (
        f"data_dir is {os.path.abspath(data_dir)}; it must be the extracted softmotion30_44k "
        f"folder (holding train/ and test/). Point elsewhere with "
        f"--gin_bindings=\"{_SETTING}='/path/to/softmotion30_44k'\" or "
        f"load(data_dir=...)."
    )


def _file_order(name):
    match = _FILE_PATTERN.match(name)
    if match:
        return (0, int(match.group(1)), int(match.group(2)), name)
    return (1, 0, 0, name)


def _list_tfrecords(folder, data_dir):
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"BAIR folder {os.path.abspath(folder)} does not exist. {_hint(data_dir)}"
        )
    names = sorted((n for n in os.listdir(folder) if n.endswith(".tfrecords")), key=_file_order)
    if not names:
        raise FileNotFoundError(
            f"No *.tfrecords files in BAIR folder {os.path.abspath(folder)}. {_hint(data_dir)}"
        )
    return [os.path.join(folder, n) for n in names]


def split_files(data_dir, split):
    """Returns the TFRecord files of one split, in reading order (see the module docstring).

    Args:
        data_dir: str or path-like. The extracted `softmotion30_44k` folder.
        split: str. `'train'`, `'val'` or `'test'`.

    Raises:
        ValueError: unknown split.
        FileNotFoundError: the split's folder is missing or holds no `*.tfrecords`, or (`val`)
            `train/traj_256_to_511.tfrecords` is missing; the message names the folder and the
            `bair_dataset.data_dir` setting.
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown BAIR split {split!r}; valid splits are {SPLITS}.")
    data_dir = os.fspath(data_dir)
    if split == "test":
        return _list_tfrecords(os.path.join(data_dir, "test"), data_dir)
    files = _list_tfrecords(os.path.join(data_dir, "train"), data_dir)
    val = [f for f in files if os.path.basename(f) == VAL_FILE]
    if split == "val":
        if not val:
            raise FileNotFoundError(
                f"BAIR val split needs {os.path.abspath(os.path.join(data_dir, 'train', VAL_FILE))}"
                f" (trajectories 256-511, the paper's test set), which is missing. "
                f"{_hint(data_dir)}"
            )
        return val
    train = [f for f in files if os.path.basename(f) != VAL_FILE]
    if not train:
        raise FileNotFoundError(
            f"BAIR folder {os.path.abspath(os.path.join(data_dir, 'train'))} "
            f"holds only {VAL_FILE} (the val split), no train files. "
            f"{_hint(data_dir)}"
        )
    return train
