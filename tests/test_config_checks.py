"""Input checks at the door: each bad setting is refused before any work, saying how to fix it."""

import os

import gin
import numpy as np
import pytest

from data_prep import cityscapes_sequences
from data_prep import cityscapes_shards
from data_prep import command_line
from vrnn_tf import cli
from vrnn_tf import config_checks

from conftest import TINY_MODEL_GIN


@pytest.fixture
def config():
    """`parse(extra)`: the tiny model on 16x16 SM-MNIST, plus extra bindings."""

    def parse(extra="", dataset="smmnist_dataset", future_frames=2):
        gin.clear_config()
        defaults = (
            f"train.dataset = @{dataset}\ntrain.future_frames = {future_frames}\n"
            "smmnist_dataset.image_size = 16\n"
        )
        cli.parse_gin([], (TINY_MODEL_GIN + defaults + extra).splitlines())

    yield parse
    gin.clear_config()


def test_a_consistent_config_passes(config):
    config()
    config_checks.check_train_config()


def test_xla_that_cannot_run_is_refused_before_the_build(config):
    config("train.jit_compile = True\ntrain.run_eagerly = True")
    with pytest.raises(
        command_line.UsageError, match="train.jit_compile = True cannot hold with train"
    ):
        config_checks.check_train_config("mirrored")
    config("train.jit_compile = 'on'")
    with pytest.raises(command_line.UsageError, match="choose True, False or 'auto'"):
        config_checks.check_train_config()
    config("train.jit_compile = True")
    config_checks.check_train_config("mirrored")  # XLA on each replica: accepted
    with pytest.raises(command_line.UsageError, match="Unknown --strategy='tpu'"):
        config_checks.check_train_config("tpu")


def test_unknown_binding_names_it(config):
    with pytest.raises(command_line.UsageError, match="stepz.*Check the spelling"):
        config("train.stepz = 3")


def test_missing_gin_file_names_it(tmp_path):
    with pytest.raises(command_line.UsageError, match="nowhere.gin"):
        cli.parse_gin([str(tmp_path / "nowhere.gin")], [])


def test_dataset_resolution_must_match_the_model(config):
    config("smmnist_dataset.image_size = 32")
    with pytest.raises(command_line.UsageError) as error:
        config_checks.check_train_config()
    message = str(error.value)
    assert "32x32 frames" in message and "16x16 (build_model.image_size)" in message
    assert "smmnist_dataset.image_size = 16" in message  # the fix


def test_dataset_channels_must_match_the_model(config):
    config("build_model.image_channels = 3")
    with pytest.raises(command_line.UsageError, match="1 channel.*build_model.image_channels = 1"):
        config_checks.check_train_config()


@pytest.mark.parametrize("context, length", [(2, 2), (3, 2)])
def test_context_must_be_shorter_than_the_clips(context, length):
    with pytest.raises(command_line.UsageError, match="nothing is left to predict"):
        config_checks.check_sequence_lengths(context, length)


def test_training_needs_a_future_frame(config):
    config(future_frames=0)
    with pytest.raises(command_line.UsageError, match="train.future_frames = 0"):
        config_checks.check_train_config()


def test_clips_longer_than_the_videos_are_refused(config, tmp_path):
    config(
        f"bair_dataset.data_dir = '{tmp_path}'\nbuild_model.image_size = 64\n"
        "build_model.image_channels = 3",
        dataset="bair_dataset",
        future_frames=29,
    )
    with pytest.raises(
        command_line.UsageError, match="31 frames but the dataset's videos have only 30"
    ):
        config_checks.check_train_config()


@pytest.mark.parametrize("name", ["bair_dataset", "cityscapes_dataset"])
def test_missing_data_folder_names_the_binding(config, tmp_path, name):
    config(f"{name}.data_dir = '{tmp_path}/nowhere'", dataset=name)
    with pytest.raises(command_line.UsageError) as error:
        config_checks.check_train_config()
    assert f"{tmp_path}/nowhere ({name}.data_dir) does not exist" in str(error.value)
    assert f'--gin_bindings="{name}.data_dir=' in str(error.value)


def test_cityscapes_resolution_comes_from_the_conversion(config, tmp_path):
    info = cityscapes_sequences.SequenceInfo("ulm", 0, tuple(range(30)), ())
    frames = np.zeros((30, 8, 8, 3), np.uint8)
    cityscapes_shards.write_split(
        str(tmp_path), "train", [info], lambda _: frames, 8, progress=False
    )
    config(
        f"cityscapes_dataset.data_dir = '{tmp_path}'\nbuild_model.image_channels = 3",
        dataset="cityscapes_dataset",
    )
    with pytest.raises(command_line.UsageError, match="8x8 frames.*build_model.image_size = 8"):
        config_checks.check_train_config()


def test_unconverted_cityscapes_folder_says_how_to_convert(config, tmp_path):
    config(
        f"cityscapes_dataset.data_dir = '{tmp_path}'\nbuild_model.image_channels = 3",
        dataset="cityscapes_dataset",
    )
    with pytest.raises(
        command_line.UsageError, match="summary_train.json.*python -m data_prep.cityscapes"
    ):
        config_checks.check_train_config()


def test_workdir_is_required_and_writable(tmp_path):
    with pytest.raises(command_line.UsageError, match="--workdir is required"):
        command_line.check_writable_folder(None, "--workdir")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(command_line.UsageError, match="is not writable.*pass a folder"):
        command_line.check_writable_folder(str(blocker / "run"), "--workdir")
    command_line.check_writable_folder(str(tmp_path / "new" / "run"), "--workdir")
    assert os.path.isdir(tmp_path / "new" / "run")


def test_a_dataset_must_be_bound(config):
    gin.clear_config()
    cli.parse_gin([], TINY_MODEL_GIN.splitlines())
    with pytest.raises(command_line.UsageError, match="No dataset: bind one"):
        config_checks.check_train_config()
