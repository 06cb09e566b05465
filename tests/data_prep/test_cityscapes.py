"""Tests for data_prep/cityscapes.py: sequence grouping, crop, conversion, resume, loading, errors.

The source tree is written here: real PNGs of random pixels, 64x32 instead of 2048x1024 (the crop
is generic: centre square of side = height), converted to 16x16.
"""

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from data_prep import cityscapes
from tests.data_prep import conversions
from tests.data_prep import tfrecord_testing as writers

WIDTH, HEIGHT, RESOLUTION = 64, 32, 16
# (split, city, sequence) -> frame numbers. Kept: exactly 30 consecutive frames.
LAYOUT = {
    ("train", "aachen", 0): range(0, 30),
    ("train", "aachen", 1): range(100, 130),
    ("train", "aachen", 2): range(0, 30),
    ("train", "bochum", 0): range(0, 35),  # long sequence: dropped
    ("train", "bochum", 1): [*range(0, 15), *range(16, 31)],  # 30 frames with a gap: dropped
    ("train", "bochum", 2): range(0, 29),  # short: dropped
    ("train", "bochum", 3): range(50, 80),
    **{("val", "frankfurt", s): range(10 * s, 10 * s + 30) for s in range(5)},
    ("val", "lindau", 0): range(0, 30),
    ("val", "lindau", 7): range(0, 30),
}
KEPT = {
    "train": ["aachen_000000", "aachen_000001", "aachen_000002", "bochum_000003"],
    "val": [f"frankfurt_{s:06d}" for s in range(5)] + ["lindau_000000", "lindau_000007"],
}


def _expected(array):
    """The converter's preprocessing, computed independently: centre columns, then LANCZOS."""
    left = (array.shape[1] - array.shape[0]) // 2
    square = Image.fromarray(array[:, left : left + array.shape[0]])
    return np.asarray(square.resize((RESOLUTION, RESOLUTION), Image.Resampling.LANCZOS))


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """leftImg8bit_sequence-like tree -> (root, {sequence id: uint8 [F, R, R, 3] expected})."""
    root = str(tmp_path_factory.mktemp("leftImg8bit_sequence"))
    written = writers.write_cityscapes_tree(root, LAYOUT, WIDTH, HEIGHT, np.random.default_rng(0))
    expected = {
        cityscapes.sequence_id(city, seq): np.stack([_expected(a) for a in arrays])
        for (_, city, seq), arrays in written.items()
    }
    with open(os.path.join(root, "train", "bochum", "bochum_notes.txt"), "w") as f:
        f.write("not a frame")
    return root, expected


@pytest.fixture(scope="module")
def converted(source, tmp_path_factory):
    """Both splits converted (val with 3 test sequences) -> (out_dir, {split: summary})."""
    root, _ = source
    out = str(tmp_path_factory.mktemp("converted"))
    summaries = {
        split: cityscapes.convert(
            root,
            out,
            split,
            resolution=RESOLUTION,
            shard_size=3,
            workers=1,
            progress=False,
            num_test_sequences=3,
        )
        for split in ("train", "val")
    }
    return out, summaries


def _to_float(frames):
    return frames.astype(np.float32) / np.float32(255.0)


def test_find_sequences_keeps_30_consecutive_frames(source):
    root, _ = source
    kept, dropped, ignored = cityscapes.find_sequences(os.path.join(root, "train"))
    assert [info.id for info in kept] == KEPT["train"]
    assert dropped == {
        "long_sequence": {"bochum_000000": 35},
        "non_consecutive": {"bochum_000001": 30},
        "short_sequence": {"bochum_000002": 29},
    }
    assert ignored == [os.path.join("bochum", "bochum_notes.txt")]
    aachen_1 = kept[1]
    assert aachen_1.frame_numbers == tuple(range(100, 130))
    assert [os.path.basename(p) for p in aachen_1.paths[:2]] == [
        "aachen_000001_000100_leftImg8bit.png",
        "aachen_000001_000101_leftImg8bit.png",
    ]


def test_crop_of_a_full_size_frame_keeps_columns_512_to_1535():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (1024, 2048, 3), dtype=np.uint8)
    np.testing.assert_array_equal(cityscapes.crop_and_resize(frame, 1024), frame[:, 512:1536])
    # At 128: PIL's antialiased LANCZOS of exactly that square.
    expected = Image.fromarray(frame[:, 512:1536]).resize((128, 128), Image.Resampling.LANCZOS)
    resized = cityscapes.crop_and_resize(Image.fromarray(frame), 128)
    assert resized.shape == (128, 128, 3) and resized.dtype == np.uint8
    np.testing.assert_array_equal(resized, np.asarray(expected))


def test_crop_ignores_the_sides():
    frame = np.zeros((1024, 2048, 3), np.uint8)
    frame[:, :512] = (255, 0, 0)
    frame[:, 1536:] = (0, 0, 255)
    frame[:, 512:1536] = (0, 200, 0)
    resized = cityscapes.crop_and_resize(frame, 128)
    np.testing.assert_array_equal(resized, np.broadcast_to([0, 200, 0], (128, 128, 3)))


def test_portrait_frames_are_refused():
    with pytest.raises(ValueError, match="width >= height"):
        cityscapes.crop_and_resize(np.zeros((20, 10, 3), np.uint8), 8)


def test_summary_records_counts_settings_shards_and_test_sequences(source, converted):
    root, _ = source
    out, summaries = converted
    with open(os.path.join(out, "summary_train.json")) as f:
        train = json.load(f)
    assert train["complete"] is True
    assert train["resolution"] == RESOLUTION and train["shard_size"] == 3
    assert train["source"] == os.path.join(root, "train")
    assert train["num_sequences"] == 4 and train["sequences"] == KEPT["train"]
    assert train["num_dropped"] == 3
    assert {reason: entry["count"] for reason, entry in train["dropped"].items()} == {
        "long_sequence": 1,
        "short_sequence": 1,
        "non_consecutive": 1,
    }
    assert train["dropped"]["long_sequence"]["sequences"] == {"bochum_000000": 35}
    assert train["num_ignored_files"] == 1
    assert [s["file"] for s in train["shards"]] == [
        "train-00000-of-00002.tfrecord",
        "train-00001-of-00002.tfrecord",
    ]
    assert [s["num_sequences"] for s in train["shards"]] == [3, 1]
    for shard in train["shards"]:
        assert os.path.getsize(os.path.join(out, shard["file"])) == shard["bytes"]
    assert "test_sequences" not in train
    with open(os.path.join(out, "summary_val.json")) as f:
        val = json.load(f)
    assert val["num_sequences"] == 7 and val["num_test_sequences"] == 3
    assert len(set(val["test_sequences"])) == 3
    assert set(val["test_sequences"]) <= set(KEPT["val"])
    assert val["test_sequences"] == sorted(val["test_sequences"], key=KEPT["val"].index)
    assert not [name for name in os.listdir(out) if name.endswith(".tmp")]
    assert summaries["val"]["test_sequences"] == val["test_sequences"]


def test_records_hold_the_frames_and_metadata(source, converted):
    _, expected = source
    out, _ = converted
    records = [
        tf.train.Example.FromString(r.numpy())
        for r in tf.data.TFRecordDataset(os.path.join(out, "train-00001-of-00002.tfrecord"))
    ]
    assert len(records) == 1
    feature = records[0].features.feature
    assert feature["sequence_id"].bytes_list.value == [b"bochum_000003"]
    assert feature["city"].bytes_list.value == [b"bochum"]
    assert feature["sequence"].int64_list.value == [3]
    assert list(feature["frame_numbers"].int64_list.value) == list(range(50, 80))
    assert feature["resolution"].int64_list.value == [RESOLUTION]
    frames = np.stack([np.frombuffer(v, np.uint8) for v in feature["frames"].bytes_list.value])
    np.testing.assert_array_equal(
        frames.reshape(30, RESOLUTION, RESOLUTION, 3), expected["bochum_000003"]
    )


def test_worker_pool_writes_the_same_shards(source, converted, tmp_path):
    root, _ = source
    out, _ = converted
    cityscapes.convert(
        root, tmp_path, "train", resolution=RESOLUTION, shard_size=3, workers=2, progress=False
    )
    for name in (
        "train-00000-of-00002.tfrecord",
        "train-00001-of-00002.tfrecord",
        "summary_train.json",
    ):
        with open(os.path.join(out, name), "rb") as a, open(tmp_path / name, "rb") as b:
            assert a.read() == b.read(), name


def test_killed_conversion_resumes_to_identical_shards(source, tmp_path):
    root, _ = source
    clean, resumed = str(tmp_path / "clean"), str(tmp_path / "resumed")
    settings = dict(resolution=RESOLUTION, shard_size=3, workers=1, progress=False)
    cityscapes.convert(root, clean, "val", **settings)
    # Killed while writing the second shard: shard 0 complete, shard 1 a partial .tmp.
    conversions.convert_until_killed(cityscapes, 4, root, resumed, "val", **settings)
    first, second = "val-00000-of-00003.tfrecord", "val-00001-of-00003.tfrecord"
    assert sorted(os.listdir(resumed)) == ["summary_val.json", first, second + ".tmp"]
    with pytest.raises(ValueError, match="incomplete.*rerun the same command"):
        cityscapes.load(resumed, "val")
    done_before = os.stat(os.path.join(resumed, first)).st_mtime_ns
    summary = cityscapes.convert(root, resumed, "val", **settings)
    assert summary["shards_written"] == 2  # shard 0 was skipped
    assert os.stat(os.path.join(resumed, first)).st_mtime_ns == done_before
    assert sorted(os.listdir(resumed)) == sorted(os.listdir(clean))
    for name in os.listdir(clean):
        with (
            open(os.path.join(clean, name), "rb") as a,
            open(os.path.join(resumed, name), "rb") as b,
        ):
            assert a.read() == b.read(), name
    # A complete conversion rerun writes nothing.
    assert cityscapes.convert(root, resumed, "val", **settings)["shards_written"] == 0


def test_rerun_with_other_settings_is_refused(source, converted):
    root, _ = source
    out, _ = converted
    with pytest.raises(ValueError, match="other settings.*resolution"):
        cityscapes.convert(
            root, out, "train", resolution=8, shard_size=3, workers=1, progress=False
        )


@pytest.mark.parametrize("workers", [1, 2])
def test_corrupt_png_names_the_file(source, tmp_path, workers):
    root, _ = source
    copy = tmp_path / "src"
    shutil.copytree(os.path.join(root, "val"), copy / "val")
    bad = writers.cityscapes_png_path(str(copy), "val", "frankfurt", 3, 35)
    with open(bad, "rb") as f:
        data = f.read()
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 2])  # truncated
    out = tmp_path / "out"
    with pytest.raises(ValueError) as error:
        cityscapes.convert(
            copy, out, "val", resolution=RESOLUTION, shard_size=3, workers=workers, progress=False
        )
    assert f"Cannot convert Cityscapes frame {bad}" in str(error.value)
    # Shard 0 (frankfurt 0..2) completed; the failed shard left neither a shard nor a .tmp.
    assert sorted(os.listdir(out)) == ["summary_val.json", "val-00000-of-00003.tfrecord"]


def test_garbage_png_names_the_file(source, tmp_path):
    root, _ = source
    copy = tmp_path / "src"
    shutil.copytree(os.path.join(root, "train"), copy / "train")
    bad = writers.cityscapes_png_path(str(copy), "train", "aachen", 0, 0)
    with open(bad, "wb") as f:
        f.write(b"this is not a png")
    with pytest.raises(ValueError, match=f"Cannot convert Cityscapes frame {bad}"):
        cityscapes.convert(
            copy, tmp_path / "out", "train", resolution=RESOLUTION, workers=1, progress=False
        )


def test_missing_source_split(tmp_path):
    with pytest.raises(FileNotFoundError, match="leftImg8bit_sequence"):
        cityscapes.convert(tmp_path, tmp_path / "out", "train", workers=1, progress=False)
    with pytest.raises(ValueError, match="split must be one of"):
        cityscapes.convert(tmp_path, tmp_path / "out", "test", workers=1, progress=False)


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
            str(RESOLUTION),
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
        == 1
    )
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("length", [30, 6])
def test_val_is_every_sequence_in_order(source, converted, length):
    _, expected = source
    out, _ = converted
    dataset = cityscapes.load(out, "val", sequence_length=length)
    assert dataset.element_spec.shape == (length, RESOLUTION, RESOLUTION, 3)
    assert int(dataset.cardinality()) == 7
    videos = list(dataset.as_numpy_iterator())
    assert len(videos) == 7
    for video, name in zip(videos, KEPT["val"]):
        assert video.dtype == np.float32
        np.testing.assert_array_equal(video, _to_float(expected[name][:length]))


def test_test_is_the_drawn_val_sequences(source, converted):
    _, expected = source
    out, summaries = converted
    chosen = summaries["val"]["test_sequences"]
    videos = list(cityscapes.load(out, "test", sequence_length=10).as_numpy_iterator())
    assert len(videos) == 3
    for video, name in zip(videos, chosen):
        np.testing.assert_array_equal(video, _to_float(expected[name][:10]))


def _locate(video, index):
    frames = np.rint(np.asarray(video) * 255.0).astype(np.uint8)
    np.testing.assert_array_equal(video, _to_float(frames))
    places = [index[frame.tobytes()] for frame in frames]
    name, start = places[0]
    assert places == [(name, start + k) for k in range(len(frames))]
    return name, start


def test_train_windows_are_consecutive_frames_seeded_and_infinite(source, converted):
    _, expected = source
    out, _ = converted
    index = {
        frame.tobytes(): (name, i)
        for name, frames in expected.items()
        for i, frame in enumerate(frames)
    }

    def places(seed, buffer, cycle_length=1):
        dataset = cityscapes.load(
            out,
            "train",
            sequence_length=8,
            seed=seed,
            shuffle_buffer=buffer,
            cycle_length=cycle_length,
        )
        assert dataset.element_spec.shape == (8, RESOLUTION, RESOLUTION, 3)
        return [_locate(video, index) for video in dataset.take(12).as_numpy_iterator()]

    first = places(0, 1)
    # One shard at a time, no shuffle buffer: three whole epochs, each visiting every kept
    # train sequence once (interleaving more shards blends the ends of consecutive epochs).
    for epoch in range(3):
        assert sorted(name for name, _ in first[4 * epoch : 4 * epoch + 4]) == KEPT["train"]
    assert all(0 <= start <= 30 - 8 for _, start in first)
    assert len({start for _, start in first}) > 3
    assert places(0, 1) == first
    assert places(1, 1) != first
    assert places(0, 4) != first  # shuffled
    interleaved = places(0, 4, cycle_length=4)
    assert {name for name, _ in interleaved} == set(KEPT["train"])


@pytest.mark.parametrize(
    "split, missing", [("train", "summary_train.json"), ("test", "summary_val.json")]
)
def test_load_without_conversion_says_how_to_convert(tmp_path, split, missing):
    with pytest.raises(FileNotFoundError) as error:
        cityscapes.load(tmp_path, split)
    assert missing in str(error.value)
    assert "python -m data_prep.cityscapes" in str(error.value)


def test_load_settings_are_checked(converted):
    out, _ = converted
    with pytest.raises(ValueError, match=r"sequence_length must be an int in 1\.\.30"):
        cityscapes.load(out, "train", sequence_length=31)
    with pytest.raises(ValueError, match="valid splits"):
        cityscapes.load(out, "validation")


def test_truncated_shard_is_named(converted, tmp_path):
    out, _ = converted
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    shard = copy / "val-00001-of-00003.tfrecord"
    with open(shard, "r+b") as f:
        f.truncate(1000)
    with pytest.raises(ValueError, match=f"{shard} has 1000 bytes"):
        cityscapes.load(copy, "val")
