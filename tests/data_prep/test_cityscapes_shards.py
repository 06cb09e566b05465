"""Tests for data_prep/cityscapes_shards.py: conversion, summary, records, resume, errors.

The source tree is `tests/data_prep/cityscapes_samples.py`'s, converted to 16x16."""

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from data_prep import cityscapes_clips
from data_prep import cityscapes_shards
from tests.data_prep import cityscapes_samples as samples
from tests.data_prep import conversions
from tests.data_prep import tfrecord_testing as writers

# tests/conftest.py converts once per worker: one worker runs the files that share it.
pytestmark = pytest.mark.xdist_group("cityscapes_conversion")


def test_summary_records_counts_settings_shards_and_test_sequences(
    cityscapes_source, cityscapes_conversion
):
    root, _ = cityscapes_source
    out, summaries = cityscapes_conversion
    with open(os.path.join(out, "summary_train.json")) as f:
        train = json.load(f)
    assert train["complete"] is True
    assert train["resolution"] == samples.RESOLUTION and train["shard_size"] == 3
    assert train["source"] == os.path.join(root, "train")
    assert train["num_sequences"] == 4 and train["sequences"] == samples.KEPT["train"]
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
    assert set(val["test_sequences"]) <= set(samples.KEPT["val"])
    assert val["test_sequences"] == sorted(val["test_sequences"], key=samples.KEPT["val"].index)
    assert not [name for name in os.listdir(out) if name.endswith(".tmp")]
    assert summaries["val"]["test_sequences"] == val["test_sequences"]


def test_records_hold_the_frames_and_metadata(cityscapes_source, cityscapes_conversion):
    _, expected = cityscapes_source
    out, _ = cityscapes_conversion
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
    assert feature["resolution"].int64_list.value == [samples.RESOLUTION]
    frames = np.stack([np.frombuffer(v, np.uint8) for v in feature["frames"].bytes_list.value])
    np.testing.assert_array_equal(
        frames.reshape(30, samples.RESOLUTION, samples.RESOLUTION, 3), expected["bochum_000003"]
    )


def test_worker_pool_writes_the_same_shards(cityscapes_source, cityscapes_conversion, tmp_path):
    root, _ = cityscapes_source
    out, _ = cityscapes_conversion
    cityscapes_shards.convert(
        root,
        tmp_path,
        "train",
        resolution=samples.RESOLUTION,
        shard_size=3,
        workers=2,
        progress=False,
    )
    for name in (
        "train-00000-of-00002.tfrecord",
        "train-00001-of-00002.tfrecord",
        "summary_train.json",
    ):
        with open(os.path.join(out, name), "rb") as a, open(tmp_path / name, "rb") as b:
            assert a.read() == b.read(), name


def test_killed_conversion_resumes_to_identical_shards(cityscapes_source, tmp_path):
    root, _ = cityscapes_source
    clean, resumed = str(tmp_path / "clean"), str(tmp_path / "resumed")
    settings = dict(resolution=samples.RESOLUTION, shard_size=3, workers=1, progress=False)
    cityscapes_shards.convert(root, clean, "val", **settings)
    # Killed while writing the second shard: shard 0 complete, shard 1 a partial .tmp.
    conversions.convert_until_killed(cityscapes_shards, 4, root, resumed, "val", **settings)
    first, second = "val-00000-of-00003.tfrecord", "val-00001-of-00003.tfrecord"
    assert sorted(os.listdir(resumed)) == ["summary_val.json", first, second + ".tmp"]
    with pytest.raises(ValueError, match="incomplete.*rerun the same command"):
        cityscapes_clips.load(resumed, "val")
    done_before = os.stat(os.path.join(resumed, first)).st_mtime_ns
    summary = cityscapes_shards.convert(root, resumed, "val", **settings)
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
    assert cityscapes_shards.convert(root, resumed, "val", **settings)["shards_written"] == 0


def test_rerun_with_other_settings_is_refused(cityscapes_source, cityscapes_conversion):
    root, _ = cityscapes_source
    out, _ = cityscapes_conversion
    with pytest.raises(ValueError, match="other settings.*resolution"):
        cityscapes_shards.convert(
            root, out, "train", resolution=8, shard_size=3, workers=1, progress=False
        )


@pytest.mark.parametrize("workers", [1, 2])
def test_corrupt_png_names_the_file(cityscapes_source, tmp_path, workers):
    root, _ = cityscapes_source
    copy = tmp_path / "src"
    shutil.copytree(os.path.join(root, "val"), copy / "val")
    bad = writers.cityscapes_png_path(str(copy), "val", "frankfurt", 3, 35)
    with open(bad, "rb") as f:
        data = f.read()
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 2])  # truncated
    out = tmp_path / "out"
    with pytest.raises(ValueError) as error:
        cityscapes_shards.convert(
            copy,
            out,
            "val",
            resolution=samples.RESOLUTION,
            shard_size=3,
            workers=workers,
            progress=False,
        )
    assert f"Cannot convert Cityscapes frame {bad}" in str(error.value)
    # Shard 0 (frankfurt 0..2) completed; the failed shard left neither a shard nor a .tmp.
    assert sorted(os.listdir(out)) == ["summary_val.json", "val-00000-of-00003.tfrecord"]


def test_garbage_png_names_the_file(cityscapes_source, tmp_path):
    root, _ = cityscapes_source
    copy = tmp_path / "src"
    shutil.copytree(os.path.join(root, "train"), copy / "train")
    bad = writers.cityscapes_png_path(str(copy), "train", "aachen", 0, 0)
    with open(bad, "wb") as f:
        f.write(b"this is not a png")
    with pytest.raises(ValueError, match=f"Cannot convert Cityscapes frame {bad}"):
        cityscapes_shards.convert(
            copy,
            tmp_path / "out",
            "train",
            resolution=samples.RESOLUTION,
            workers=1,
            progress=False,
        )


def test_missing_source_split(tmp_path):
    with pytest.raises(FileNotFoundError, match="leftImg8bit_sequence"):
        cityscapes_shards.convert(tmp_path, tmp_path / "out", "train", workers=1, progress=False)
    with pytest.raises(ValueError, match="split must be one of"):
        cityscapes_shards.convert(tmp_path, tmp_path / "out", "test", workers=1, progress=False)
