"""Tests for data_prep/frame_reading.py: the order of frames, reading a folder or a video,
what a bad frame says, and the float RGB of any frame."""

import os

import imageio.v3 as iio
import numpy as np
import pytest

from data_prep import frame_reading
from tests.data_prep import video_samples as samples


def test_natural_order_takes_numbers_by_value():
    names = ["frame_10.png", "Frame_2.png", "frame_1.png", "clip10", "clip2"]
    assert sorted(names, key=frame_reading.natural_key) == [
        "clip2",
        "clip10",
        "frame_1.png",
        "Frame_2.png",
        "frame_10.png",
    ]


def test_a_folder_is_read_frame_by_frame_and_a_bad_frame_is_named(tmp_path):
    frames = np.random.default_rng(0).integers(0, 256, (3, 6, 8, 3), dtype=np.uint8)
    for i, frame in enumerate(frames):
        iio.imwrite(tmp_path / f"{i}.png", frame)
    read = list(frame_reading.iter_frames(str(tmp_path), ["0.png", "1.png", "2.png"]))
    assert [name for name, _ in read] == ["0.png", "1.png", "2.png"]
    np.testing.assert_array_equal(np.stack([frame for _, frame in read]), frames)
    (tmp_path / "1.png").write_bytes(b"\x89PNG but not really")
    with pytest.raises(frame_reading.FrameError) as error:
        list(frame_reading.iter_frames(str(tmp_path), ["0.png", "1.png", "2.png"]))
    assert error.value.path == os.path.join(str(tmp_path), "1.png")
    assert error.value.name == "1.png" and str(error.value).startswith("frame 1.png: ")


def test_a_video_is_read_frame_by_frame_and_announces_its_length(tmp_path):
    frames = np.random.default_rng(1).integers(0, 256, (20, 32, 48, 3), dtype=np.uint8)
    samples.write_mp4(str(tmp_path / "clip.mp4"), frames, fps=10)
    iio.imwrite(tmp_path / "clip.gif", frames[:4], duration=100, loop=0)
    assert frame_reading.announced_frames(str(tmp_path / "clip.mp4")) == 20
    assert frame_reading.announced_frames(str(tmp_path / "clip.gif")) is None  # per frame
    iterator = frame_reading.iter_frames(str(tmp_path / "clip.mp4"))
    first = [next(iterator) for _ in range(3)]
    iterator.close()  # stops the decoder early
    assert [name for name, _ in first] == ["frame 0", "frame 1", "frame 2"]
    assert first[0][1].shape == (32, 48, 3) and first[0][1].dtype == np.uint8
    assert len(list(frame_reading.iter_frames(str(tmp_path / "clip.gif")))) == 4


def test_float_rgb_of_grey_rgba_and_float_frames():
    grey = np.array([[0, 255]], np.uint8)
    np.testing.assert_array_equal(
        frame_reading.as_float_rgb(grey, "grey"), np.array([[[0, 0, 0], [1, 1, 1]]], np.float32)
    )
    rgba = np.full((2, 2, 4), 51, np.uint8)
    assert frame_reading.as_float_rgb(rgba, "rgba").shape == (2, 2, 3)
    np.testing.assert_allclose(frame_reading.as_float_rgb(rgba, "rgba"), 0.2)
    with pytest.raises(ValueError, match=r"bright: float frames must be in \[0, 1\]"):
        frame_reading.as_float_rgb(np.full((2, 2), 2.0), "bright")
    with pytest.raises(ValueError, match="odd: frames must be uint8 or float"):
        frame_reading.as_float_rgb(np.zeros((2, 2), np.int32), "odd")
    with pytest.raises(ValueError, match=r"wide: expected \[H, W\] or \[H, W, 1\|3\|4\]"):
        frame_reading.as_float_rgb(np.zeros((2, 2, 5), np.uint8), "wide")
    assert not frame_reading.is_image(np.zeros((2, 2, 2)))
