"""Tests for data_prep/video_clips.py: converted clips loaded (train windows, every test
clip), load errors; the gin dataset on a conversion; and end to end: convert, train two steps,
evaluate two sequences."""

import json
import os
import shutil

import numpy as np
import pytest

from data_prep import video_clips
from tests.data_prep import video_samples as samples

# tests/conftest.py converts once per worker: one worker runs the files that share it.
pytestmark = pytest.mark.xdist_group("video_conversion")


def test_load_gives_train_windows_and_every_test_clip(video_conversion):
    out, summary = video_conversion
    test = video_clips.load(out, "test", sequence_length=samples.CLIP_FRAMES)
    clips = list(test.as_numpy_iterator())
    assert len(clips) == int(test.cardinality()) == summary["num_clips"]["test"]
    test_records = [
        r for e in summary["shards"] if e["split"] == "test" for r in samples.records(out, e)
    ]
    np.testing.assert_array_equal(clips[0], samples.clip_frames(test_records[0]) / np.float32(255))
    assert clips[0].dtype == np.float32

    # Train: endless windows of 4 consecutive frames of some train clip.
    train_clips = [
        samples.clip_frames(r)
        for e in summary["shards"]
        if e["split"] == "train"
        for r in samples.records(out, e)
    ]
    train = video_clips.load(out, "train", sequence_length=4, seed=3, shuffle_buffer=8)
    windows = list(train.take(8).as_numpy_iterator())
    for window in windows:
        assert window.shape == (4, samples.RESOLUTION, samples.RESOLUTION, 3)
        assert any(
            np.array_equal(window, clip[s : s + 4] / np.float32(255))
            for clip in train_clips
            for s in range(samples.CLIP_FRAMES - 3)
        )


def test_load_errors_say_what_to_do(video_conversion, tmp_path):
    out, _ = video_conversion
    with pytest.raises(FileNotFoundError, match="summary.json.*python -m data_prep.videos"):
        video_clips.load(tmp_path, "train")
    with pytest.raises(ValueError, match=r"sequence_length must be an int in 1\.\.10"):
        video_clips.load(out, "train", sequence_length=11)
    with pytest.raises(ValueError, match="valid splits"):
        video_clips.load(out, "val")
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    shard = copy / json.load(open(copy / "summary.json"))["shards"][0]["file"]
    with open(shard, "r+b") as f:
        f.truncate(100)
    with pytest.raises(ValueError, match=f"{shard} has 100 bytes"):
        video_clips.load(copy, "test")


def test_the_gin_dataset_takes_its_geometry_from_the_conversion(video_conversion):
    import gin

    from data_prep import command_line
    from vrnn_tf import config_checks
    from vrnn_tf.data import datasets

    out, _ = video_conversion
    dataset = datasets.OwnVideos(data_dir=out)
    assert dataset.geometry() == datasets.Geometry(samples.RESOLUTION, 3, samples.CLIP_FRAMES)
    # No paper default of predicted frames: the rest of each clip after the context.
    assert dataset.default_future_frames(context_frames=2) == samples.CLIP_FRAMES - 2
    gin.clear_config()
    try:
        gin.parse_config(
            f"videos_dataset.data_dir = '{out}'\nbuild_model.image_channels = 3\n"
            "train.dataset = @videos_dataset\ntrain.future_frames = 2"
        )
        with pytest.raises(
            command_line.UsageError, match="32x32 frames.*build_model.image_size = 32"
        ):
            config_checks.check_train_config()  # model: 64
        gin.parse_config(
            "build_model.image_size = 32\nbuild_model.context_frames = 2\ntrain.future_frames = 9"
        )
        with pytest.raises(command_line.UsageError, match="only 10"):
            config_checks.check_train_config()
    finally:
        gin.clear_config()


@pytest.mark.slow
def test_end_to_end_convert_train_two_steps_evaluate_two_sequences(video_conversion, tmp_path):
    """gin/videos_hier.gin on the converted real videos (a tiny model at 32x32), then the
    evaluation protocol on two test sequences of the whole clip after the context."""
    import gin

    from vrnn_tf import configurables
    from vrnn_tf.evaluation import model_evaluation

    from conftest import REPO

    out, summary = video_conversion
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
        result = configurables.train(workdir)
    finally:
        gin.clear_config()
    assert result["steps"] == 2 and np.isfinite(result["test_neg_elbo_after"])
    assert "videos_dataset.data_dir" in open(os.path.join(workdir, "config.gin")).read()

    results = model_evaluation.evaluate(workdir, num_samples=2, num_sequences=2, fvd_repeats=1)
    gin.clear_config()
    settings = results["settings"]
    assert settings["split"] == "test" and settings["dataset"] == "videos_dataset"
    # No paper default for your videos: the rest of each 10-frame clip after 2 context frames.
    assert settings["future_frames"] == samples.CLIP_FRAMES - 2
    assert results["num_sequences"] == 2 and len(results["curves"]["ssim"]) == 8
    assert -1 <= results["ssim"]["mean"] <= 1 and results["lpips"]["mean"] > 0
    assert np.isfinite(results["fvd"]["mean"])
    assert os.path.isfile(os.path.join(workdir, "eval_test", "results.json"))
