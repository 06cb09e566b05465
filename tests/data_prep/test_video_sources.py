"""Tests for data_prep/video_sources.py: the split by source; a source read or said wrong."""

import os

import imageio.v3 as iio
import numpy as np
import pytest

from data_prep import clip_shard_writer
from data_prep import video_sources


def test_split_is_by_source_seeded_and_needs_two_sources():
    sources = [video_sources.Source(f"v{i}.mp4", "video") for i in range(20)]
    splits = video_sources.assign_splits(sources, 0.1, seed=0)
    assert splits.count("test") == 2 and splits == video_sources.assign_splits(sources, 0.1, seed=0)
    assert splits != video_sources.assign_splits(sources, 0.1, seed=1)
    assert video_sources.assign_splits(sources[:3], 0.01, seed=0).count("test") == 1
    assert video_sources.assign_splits(sources[:1], 0.0, seed=0) == ["train"]
    with pytest.raises(clip_shard_writer.ConversionError, match="at least 2 source videos"):
        video_sources.assign_splits(sources[:1], 0.1, seed=0)


def test_read_source_crops_and_resizes_the_frames_of_a_folder(tmp_path):
    rng = np.random.default_rng(0)
    os.makedirs(tmp_path / "walk")
    frames = rng.integers(0, 256, (3, 20, 30, 3), dtype=np.uint8)
    for i, frame in enumerate(frames):
        iio.imwrite(tmp_path / "walk" / f"frame_{i}.png", frame)
    (source,), _, _ = video_sources.find_sources(tmp_path)
    result = video_sources.read_source(source, str(tmp_path), resolution=8, clip_frames=2)
    assert result["problem"] is None and result["num_frames"] == 3 and result["size"] == [30, 20]
    assert result["frames"].shape == (3, 8, 8, 3)
    np.testing.assert_array_equal(
        result["frames"][1], clip_shard_writer.crop_and_resize(frames[1], 8)
    )
    short = video_sources.read_source(source, str(tmp_path), resolution=8, clip_frames=4)
    assert short["frames"] is None and short["num_frames"] == 3
    assert short["problem"] == {
        "reason": "too_short",
        "detail": "3 frames, fewer than one clip of 4",
    }


def test_read_source_takes_16_bit_grey_frames_as_8_bit(tmp_path):
    frames = np.random.default_rng(1).integers(0, 65536, (2, 12, 10), dtype=np.uint16)
    os.makedirs(tmp_path / "deep")
    for i, frame in enumerate(frames):
        iio.imwrite(tmp_path / "deep" / f"{i}.png", frame)
    (source,), _, _ = video_sources.find_sources(tmp_path)
    result = video_sources.read_source(source, str(tmp_path), resolution=6, clip_frames=2)
    assert result["problem"] is None
    for converted, frame in zip(result["frames"], frames):
        expected = clip_shard_writer.crop_and_resize((frame >> 8).astype(np.uint8), 6)
        np.testing.assert_array_equal(converted, expected)
