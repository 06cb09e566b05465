"""Tests for data_prep/cityscapes_tfds.py, the command line: how it fails (exit status 2 and a
message naming the flag for a bad flag, 1 when preparing fails). That it prepares the dataset
is tested with the builder (test_cityscapes_tfds_builder.py)."""

import numpy as np

from data_prep import cityscapes_tfds
from tests.data_prep import conversions
from tests.data_prep import tfrecord_testing as writers


def test_command_line_refuses_a_folder_without_splits(tmp_path, capsys):
    assert conversions.command_line(cityscapes_tfds, ["--manual_dir", str(tmp_path)]) == 2
    assert "leftImg8bit_sequence" in capsys.readouterr().err


def test_bad_flags_are_usage_errors_naming_them(tmp_path, capsys):
    assert conversions.command_line(cityscapes_tfds, []) == 2
    assert "--manual_dir" in capsys.readouterr().err
    args = ["--manual_dir", str(tmp_path), "--resolution", "0"]
    assert conversions.command_line(cityscapes_tfds, args) == 2
    assert "--resolution" in capsys.readouterr().err
    (tmp_path / "a_file").write_text("")
    args = ["--manual_dir", str(tmp_path), "--data_dir", str(tmp_path / "a_file" / "tfds")]
    assert conversions.command_line(cityscapes_tfds, args) == 2
    assert "--data_dir" in capsys.readouterr().err


def test_a_corrupt_png_is_a_failure_of_the_work(tmp_path, capsys):
    root = tmp_path / "leftImg8bit_sequence"
    layout = {("train", "ulm", 0): range(30), ("val", "ulm", 1): range(30)}
    writers.write_cityscapes_tree(str(root), layout, 8, 4, np.random.default_rng(0))
    bad = writers.cityscapes_png_path(str(root), "val", "ulm", 1, 29)
    with open(bad, "wb") as f:
        f.write(b"this is not a png")
    args = ["--manual_dir", str(root), "--data_dir", str(tmp_path / "tfds"), "--resolution", "4"]
    assert conversions.command_line(cityscapes_tfds, args) == 1
    assert f"Cannot convert Cityscapes frame {bad}" in capsys.readouterr().err
