"""Tests for data_prep/bair_files.py: which files make each split, in which order."""

import os

import numpy as np
import pytest

from data_prep import bair_files
from tests.data_prep import tfrecord_testing as writers

TRAIN_FILES = ("traj_0_to_255", "traj_512_to_767", "traj_1024_to_1279")  # lexical order differs


@pytest.fixture(scope="module")
def bair_dir(tmp_path_factory):
    """softmotion30_44k-like folder, one trajectory per file -> (data_dir, None)."""
    root = tmp_path_factory.mktemp("softmotion30_44k")
    layout = [("train", name) for name in TRAIN_FILES + ("traj_256_to_511",)]
    layout.append(("test", "traj_0_to_255"))
    for number, (folder, stem) in enumerate(layout):
        trajectory = writers.bair_trajectory(np.random.default_rng(number))
        writers.write_bair_file(root / folder / f"{stem}.tfrecords", [trajectory])
    return str(root), None


def test_split_files_sort_numerically_and_hold_out_val(bair_dir):
    data_dir, _ = bair_dir
    names = {
        split: [os.path.basename(f) for f in bair_files.split_files(data_dir, split)]
        for split in bair_files.SPLITS
    }
    assert names["train"] == [f"{stem}.tfrecords" for stem in TRAIN_FILES]
    assert names["val"] == ["traj_256_to_511.tfrecords"]
    assert names["test"] == ["traj_0_to_255.tfrecords"]
    assert all(
        f.startswith(os.path.join(data_dir, "test"))
        for f in bair_files.split_files(data_dir, "test")
    )


def test_unknown_split_and_a_train_folder_of_val_only(tmp_path):
    with pytest.raises(ValueError, match="valid splits"):
        bair_files.split_files(tmp_path, "validation")
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / bair_files.VAL_FILE).write_bytes(b"")
    assert bair_files.split_files(tmp_path, "val") == [
        str(tmp_path / "train" / bair_files.VAL_FILE)
    ]
    with pytest.raises(FileNotFoundError, match="holds only traj_256_to_511.tfrecords"):
        bair_files.split_files(tmp_path, "train")
