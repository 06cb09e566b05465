"""Tests for data_prep/cityscapes.py, the command line: what it prints, and how it fails (exit
status 2 and a message naming the flag for a bad flag, 1 when the conversion fails)."""

import os
import shutil

import pytest

from data_prep import cityscapes
from tests.data_prep import cityscapes_samples as samples
from tests.data_prep import conversions
from tests.data_prep import tfrecord_testing as writers


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """leftImg8bit_sequence-like tree -> (root, {sequence id: uint8 [F, R, R, 3] expected})."""
    return samples.write_source(str(tmp_path_factory.mktemp("leftImg8bit_sequence")))


def test_command_line(source, tmp_path, capsys):
    root, _ = source
    code = conversions.command_line(
        cityscapes,
        [
            "--src",
            root,
            "--out",
            str(tmp_path),
            "--split",
            "train",
            "--resolution",
            str(samples.RESOLUTION),
            "--shard_size",
            "2",
            "--workers",
            "1",
            "--no_progress",
        ],
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "kept 4 sequences" in printed and "dropped 3" in printed
    assert "long_sequence: 1" in printed
    assert sorted(os.listdir(tmp_path)) == [
        "summary_train.json",
        "train-00000-of-00002.tfrecord",
        "train-00001-of-00002.tfrecord",
    ]
    assert (
        conversions.command_line(
            cityscapes,
            ["--src", str(tmp_path / "nowhere"), "--out", str(tmp_path), "--split", "val"],
        )
        == 2  # a usage error: --src is not the leftImg8bit_sequence folder
    )
    assert "does not exist" in capsys.readouterr().err


def _convert(root, out, *flags):
    return conversions.command_line(
        cityscapes,
        ["--src", root, "--out", str(out), "--split", "val", "--workers", "1", "--no_progress"]
        + list(flags),
    )


@pytest.mark.parametrize(
    "flags, flag",
    [
        (["--resolution", "0"], "--resolution"),
        (["--shard_size", "0"], "--shard_size"),
        (["--workers", "-1"], "--workers"),
        (["--split", "test"], "--split"),  # absl's enum check
    ],
)
def test_a_bad_flag_value_is_a_usage_error_naming_it(source, tmp_path, capsys, flags, flag):
    root, _ = source
    assert _convert(root, tmp_path, *flags) == 2
    error = capsys.readouterr().err
    assert error.startswith("usage error: ") and flag in error
    assert not os.path.exists(tmp_path / "summary_val.json")


def test_missing_flags_and_other_settings_are_usage_errors(source, tmp_path, capsys):
    root, _ = source
    assert conversions.command_line(cityscapes, ["--src", root, "--out", str(tmp_path)]) == 2
    assert "--split" in capsys.readouterr().err
    assert _convert(root, tmp_path, "--resolution", "8") == 0
    assert _convert(root, tmp_path, "--resolution", "4") == 2
    error = capsys.readouterr().err
    assert "other settings (resolution differ" in error and "--out" in error


def test_a_corrupt_png_is_a_failure_of_the_work(source, tmp_path, capsys):
    root, _ = source
    copy = tmp_path / "src"
    shutil.copytree(os.path.join(root, "val"), copy / "val")
    bad = writers.cityscapes_png_path(str(copy), "val", "lindau", 7, 3)
    with open(bad, "wb") as f:
        f.write(b"this is not a png")
    assert _convert(str(copy), tmp_path / "out", "--resolution", "8") == 1
    assert f"error: Cannot convert Cityscapes frame {bad}" in capsys.readouterr().err
