"""Tests for data_prep/videos.py, the command line: what it prints, and how it fails (exit
status 2 and a message naming the flag for a bad flag, 1 when the conversion fails)."""

import os

import pytest

from data_prep import videos
from tests.data_prep import conversions
from tests.data_prep import video_samples as samples


@pytest.fixture(scope="module")
def small_sources(tmp_path_factory):
    """Six small GIFs (12-31 frames) -> their folder."""
    return samples.write_small_sources(tmp_path_factory.mktemp("gifs"))


def test_command_line(small_sources, tmp_path, capsys):
    code = conversions.command_line(
        videos,
        [
            "--src",
            small_sources,
            "--out",
            str(tmp_path / "out"),
            "--resolution",
            "8",
            "--clip_frames",
            "20",
            "--workers",
            "1",
            "--test_fraction",
            "0",
            "--no_progress",
        ],
    )
    assert code == 0
    printed = capsys.readouterr()
    assert "6 sources; train: 6 sources, 3 clips; test: 0 sources, 0 clips" in printed.out
    for name in ("clip_0.gif", "clip_3.gif", "clip_5.gif"):  # 12, 15, 18 frames < 20
        assert f"Skipped {name}: too_short" in printed.out
        assert f"skipped {name}: too_short" in printed.err
    # A --src that is no folder of videos: a usage error (status 2), before any work.
    assert (
        conversions.command_line(
            videos, ["--src", str(tmp_path / "nowhere"), "--out", str(tmp_path)]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    os.makedirs(empty)
    assert (
        conversions.command_line(videos, ["--src", str(empty), "--out", str(tmp_path / "o2")]) == 2
    )
    assert "No videos" in capsys.readouterr().err


def _convert(small_sources, out, *flags):
    return conversions.command_line(
        videos,
        ["--src", small_sources, "--out", str(out), "--workers", "1", "--no_progress", *flags],
    )


@pytest.mark.parametrize(
    "flags, flag",
    [
        (["--resolution", "0"], "--resolution"),
        (["--clip_frames", "-3"], "--clip_frames"),
        (["--stride", "0"], "--stride"),
        (["--shard_sources", "0"], "--shard_sources"),
        (["--workers", "0"], "--workers"),
        (["--test_fraction", "1.5"], "--test_fraction"),
        (["--clip_frames", "ten"], "--clip_frames"),  # absl's own parse error
    ],
)
def test_a_bad_flag_value_is_a_usage_error_naming_it(small_sources, tmp_path, capsys, flags, flag):
    assert _convert(small_sources, tmp_path / "out", *flags) == 2
    error = capsys.readouterr().err
    assert error.startswith("usage error: ") and flag in error
    assert not os.path.exists(tmp_path / "out" / "summary.json")  # no work was done


def test_missing_flags_and_an_unwritable_out_are_usage_errors(small_sources, tmp_path, capsys):
    assert conversions.command_line(videos, ["--out", str(tmp_path)]) == 2
    assert "--src" in capsys.readouterr().err
    (tmp_path / "a_file").write_text("")
    assert _convert(small_sources, tmp_path / "a_file" / "out") == 2
    assert "--out" in capsys.readouterr().err


def test_an_out_holding_other_settings_is_a_usage_error(small_sources, tmp_path, capsys):
    assert _convert(small_sources, tmp_path, "--resolution", "8", "--clip_frames", "12") == 0
    assert _convert(small_sources, tmp_path, "--resolution", "4", "--clip_frames", "12") == 2
    error = capsys.readouterr().err
    assert "other settings (resolution differ" in error and "--out" in error


def test_no_training_clip_is_a_failure_of_the_work(small_sources, tmp_path, capsys):
    # Every GIF has fewer than 40 frames: all are skipped, no clip is made.
    assert _convert(small_sources, tmp_path, "--clip_frames", "40", "--test_fraction", "0") == 1
    printed = capsys.readouterr()
    assert "Skipped clip_1.gif: too_short" in printed.out  # what it did, then the error
    assert printed.err.rstrip().endswith(
        "error: no training clips: every train source was skipped or is shorter than 40 frames."
    )


def test_bad_input_under_strict_is_a_failure_of_the_work(small_sources, tmp_path, capsys):
    assert _convert(small_sources, tmp_path, "--clip_frames", "20", "--strict") == 1
    error = capsys.readouterr().err
    assert "error: " in error and "too_short" in error and "(--strict)" in error
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
