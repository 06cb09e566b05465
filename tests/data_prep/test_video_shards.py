"""Tests for data_prep/video_shards.py: real videos converted to clips split by source; bad
input reported; strict; a killed conversion resumed to identical files. The sample sources are
`tests/data_prep/video_samples.py`'s."""

import glob
import json
import os
import re
import shutil

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from data_prep import clip_shard_writer
from data_prep import video_clips
from data_prep import video_shards
from data_prep import video_sources
from tests.data_prep import conversions
from tests.data_prep import video_samples as samples

# tests/conftest.py converts once per worker: one worker runs the files that share it.
pytestmark = pytest.mark.xdist_group("video_conversion")


@pytest.fixture(scope="module")
def bad_sources(tmp_path_factory):
    """A folder with one good video, one good frame folder and every kind of bad input."""
    return samples.write_bad_sources(tmp_path_factory.mktemp("bad_videos"))


@pytest.fixture(scope="module")
def small_sources(tmp_path_factory):
    """Six small GIFs (12-31 frames) -> their folder."""
    return samples.write_small_sources(tmp_path_factory.mktemp("gifs"))


def _expected_clip(path, start):
    """The converter's preprocessing, computed here: centre square, then LANCZOS."""
    frames = [frame for _, frame in zip(range(start + samples.CLIP_FRAMES), iio.imiter(path))][
        start:
    ]
    height, width = frames[0].shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return np.stack(
        [
            np.asarray(
                Image.fromarray(f[top : top + side, left : left + side]).resize(
                    (samples.RESOLUTION, samples.RESOLUTION), Image.Resampling.LANCZOS
                )
            )
            for f in frames
        ]
    )


def test_real_videos_become_clips_split_by_source(real_videos, video_conversion):
    out, summary = video_conversion
    assert summary["complete"] is True
    assert [s["path"] for s in summary["sources"]] == sorted(samples.REAL_FRAMES)
    splits = {s["path"]: s["split"] for s in summary["sources"]}
    assert sorted(splits.values()) == ["test", "train", "train", "train"]
    clips = {name: frames // samples.CLIP_FRAMES for name, frames in samples.REAL_FRAMES.items()}
    for split in video_sources.SPLITS:
        assert summary["num_clips"][split] == sum(
            clips[name] for name, s in splits.items() if s == split
        )
    assert summary["num_skipped"] == 0 and summary["skipped"] == {}
    saved = json.load(open(os.path.join(out, "summary.json")))
    assert saved["num_clips"] == summary["num_clips"] and saved["sources"] == summary["sources"]
    for entry in summary["shards"]:
        assert os.path.getsize(os.path.join(out, entry["file"])) == entry["bytes"]
        for note in entry["sources"]:
            # Never clips of one video in both splits.
            assert note["split"] == entry["split"] == splits[note["path"]]
            assert note["num_frames"] == samples.REAL_FRAMES[note["path"]]
            assert note["num_clips"] == clips[note["path"]]
        records = samples.records(out, entry)
        assert len(records) == entry["num_clips"]
        assert {r.features.feature["source"].bytes_list.value[0].decode() for r in records} <= {
            name for name, s in splits.items() if s == entry["split"]
        }
    assert not [name for name in os.listdir(out) if name.endswith(".tmp")]

    # The second clip of bikes.mp4 (640x272): frames 10..19, centre 272x272, resized.
    train = next(e for e in summary["shards"] if e["split"] == splits["bikes.mp4"])
    record = next(
        r
        for r in samples.records(out, train)
        if r.features.feature["sequence_id"].bytes_list.value == [b"bikes.mp4@10"]
    )
    feature = record.features.feature
    assert feature["start_frame"].int64_list.value == [10]
    assert feature["resolution"].int64_list.value == [samples.RESOLUTION]
    np.testing.assert_array_equal(
        samples.clip_frames(record), _expected_clip(os.path.join(real_videos, "bikes.mp4"), 10)
    )


def test_bad_input_is_reported_by_name_and_skipped(bad_sources, tmp_path, capsys):
    summary = video_shards.convert(
        bad_sources,
        tmp_path,
        resolution=8,
        clip_frames=10,
        test_fraction=0,
        workers=1,
        progress=False,
    )
    console = capsys.readouterr().err
    reported = {path: reason for reason, paths in summary["skipped"].items() for path in paths}
    assert reported == samples.BAD
    assert summary["num_skipped"] == len(samples.BAD)
    for path, reason in samples.BAD.items():
        assert f"skipped {path}: {reason}" in console
    assert re.fullmatch(
        r"\d+ frames decoded, its header announces 40",
        summary["skipped"]["truncated"]["broken/truncated.mp4"],
    )
    assert "frame_11.png is 30x21" in summary["skipped"]["changing_size"]["resized/"]
    assert "frame 05.png" in summary["skipped"]["unreadable"]["unreadable_frame/"]
    assert summary["ignored_files"] == ["notes.txt"]
    # The good ones: good.mp4 (40 frames: 4 clips) and walk/ (12 frames: 1 clip).
    assert summary["num_clips"] == {"train": 5, "test": 0}
    # Frames of a folder in name order, numbers by value: frame_2 before frame_10.
    walk = next(s for s in video_sources.find_sources(bad_sources)[0] if s.path == "walk/")
    assert walk.frames[:3] == ("frame_0.png", "frame_1.png", "frame_2.png")
    assert walk.frames[-1] == "frame_11.png"


@pytest.mark.parametrize("bad", ["broken/truncated.mp4", "nothing_here"])
def test_strict_makes_bad_input_an_error(bad_sources, tmp_path, bad):
    source = tmp_path / "src"
    os.makedirs(source)
    shutil.copy(os.path.join(bad_sources, "good.mp4"), source)
    os.makedirs(source / os.path.dirname(bad), exist_ok=True)
    if bad.endswith(".mp4"):
        shutil.copy(os.path.join(bad_sources, bad), source / bad)
    else:
        os.makedirs(source / bad)
    with pytest.raises(clip_shard_writer.ConversionError, match=f"{source / bad}.*--strict"):
        video_shards.convert(
            source,
            tmp_path / "out",
            resolution=8,
            clip_frames=10,
            test_fraction=0,
            workers=1,
            progress=False,
            strict=True,
        )
    assert not glob.glob(str(tmp_path / "out" / "*.tmp"))


def test_killed_conversion_resumes_to_identical_files_and_workers_agree(small_sources, tmp_path):
    settings = dict(
        resolution=8,
        clip_frames=6,
        stride=3,
        test_fraction=0.34,
        seed=1,
        shard_sources=2,
        progress=False,
    )
    clean, resumed = tmp_path / "clean", tmp_path / "resumed"
    summary = video_shards.convert(small_sources, clean, workers=1, **settings)
    assert [e["file"] for e in summary["shards"]] == [
        "train-00000-of-00002.tfrecord",
        "train-00001-of-00002.tfrecord",
        "test-00000-of-00001.tfrecord",
    ]
    # Overlapping clips every 3 frames: a 12-frame GIF gives starts 0, 3, 6.
    notes = {n["path"]: n for e in summary["shards"] for n in e["sources"]}
    assert notes["clip_0.gif"]["num_clips"] == 3 and notes["clip_1.gif"]["num_clips"] == 9
    # Killed after the first video of the second shard (2 videos a shard): a partial .tmp.
    conversions.convert_until_killed(video_shards, 3, small_sources, resumed, workers=1, **settings)
    assert any(name.endswith(".tmp") for name in os.listdir(resumed))
    with pytest.raises(ValueError, match="incomplete.*rerun the same command"):
        video_clips.load(resumed, "train")
    again = video_shards.convert(small_sources, resumed, workers=1, **settings)
    assert again["shards_written"] == 2  # the first shard was complete
    assert sorted(os.listdir(resumed)) == sorted(os.listdir(clean))
    for name in os.listdir(clean):
        assert (clean / name).read_bytes() == (resumed / name).read_bytes(), name
    pooled = video_shards.convert(small_sources, tmp_path / "pooled", workers=2, **settings)
    assert pooled["shards_written"] == 3
    for name in os.listdir(clean):
        assert (clean / name).read_bytes() == (tmp_path / "pooled" / name).read_bytes(), name
    assert (
        video_shards.convert(small_sources, resumed, workers=1, **settings)["shards_written"] == 0
    )
    # A shard damaged since (another size than recorded) is written again.
    damaged = resumed / "train-00001-of-00002.tfrecord"
    damaged.write_bytes(damaged.read_bytes()[:50])
    assert (
        video_shards.convert(small_sources, resumed, workers=1, **settings)["shards_written"] == 1
    )
    assert damaged.read_bytes() == (clean / damaged.name).read_bytes()
    with pytest.raises(ValueError, match="other settings.*clip_frames"):
        video_shards.convert(small_sources, resumed, workers=1, **dict(settings, clip_frames=5))
