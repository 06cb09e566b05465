"""The train CLI's TensorBoard summaries, read back from the event files."""

import os

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from vrnn_tf.analysis import visualize
from vrnn_tf.training import monitoring

# The tiny model of conftest: levels at 1x1 (4 channels) and 4x4 (3 channels).
CHANNELS = (4, 3)
TRAIN_TAGS = [
    "train/loss",
    "train/neg_elbo",
    "train/reconstruction",
    "train/kl_level_0",
    "train/kl_level_1",
    "train/beta",
    "train/learning_rate",
    "train/gradient_norm",
    "train/steps_per_second",
]
EVAL_TAGS = [
    "eval/neg_elbo",
    "eval/reconstruction",
    "eval/kl_level_0",
    "eval/kl_level_1",
    "latents/level_0/active_channels",
    "latents/level_0/max_active_channels",
    "latents/level_0/channel_kl",
    "latents/level_1/active_channels",
    "latents/level_1/max_active_channels",
    "latents/level_1/channel_kl",
    "latents/channel_kl",
    "samples/prior",
]


def read_events(logdir):
    """`{tag: [(step, numpy value)]}` of the tensor summaries in one run folder."""
    accumulator = event_accumulator.EventAccumulator(
        logdir, size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    return {
        tag: [
            (event.step, tf.make_ndarray(event.tensor_proto)) for event in accumulator.Tensors(tag)
        ]
        for tag in accumulator.Tags()["tensors"]
    }


def scalar(events, tag):
    """The newest value of a scalar tag."""
    return float(events[tag][-1][1])


def decode_image(summary_value):
    """An image summary's tensor is [width, height, png bytes...]: decode the first image."""
    return tf.io.decode_png(summary_value[2]).numpy()


def test_train_cli_writes_every_tag(tiny_train_run):
    workdir, result = tiny_train_run
    assert result.returncode == 0, result.stderr[-3000:]
    train = read_events(os.path.join(workdir, "tensorboard"))
    held_out = read_events(os.path.join(workdir, "tensorboard", "eval"))
    missing = [t for t in TRAIN_TAGS if t not in train] + [
        t for t in EVAL_TAGS if t not in held_out
    ]
    assert not missing, f"missing tags {missing}; found {sorted(train) + sorted(held_out)}"
    for tag in EVAL_TAGS:
        assert [step for step, _ in held_out[tag]] == [2], tag

    assert scalar(train, "train/gradient_norm") > 0
    assert scalar(train, "train/steps_per_second") > 0
    # The validation negative ELBO is the beta = 1 sum of its terms.
    np.testing.assert_allclose(
        scalar(held_out, "eval/neg_elbo"),
        sum(scalar(held_out, f"eval/{t}") for t in ["reconstruction", "kl_level_0", "kl_level_1"]),
        rtol=1e-5,
    )
    for level, channels in enumerate(CHANNELS):
        active = scalar(held_out, f"latents/level_{level}/active_channels")
        max_active = scalar(held_out, f"latents/level_{level}/max_active_channels")
        assert 0 <= max_active <= active <= channels and active == int(active)
        # A histogram over the level's channels: buckets of [left, right, count].
        histogram = held_out[f"latents/level_{level}/channel_kl"][-1][1]
        assert histogram.shape[1] == 3 and histogram[:, 2].sum() == channels

    # The sample image: 2 clips x (ground truth + 2 samples) rows of 2 + 2 frames of 16x16.
    grid = visualize.sample_grid(
        np.zeros((2, 2, 16, 16, 1)), np.zeros((2, 2, 16, 16, 1)), np.zeros((2, 2, 2, 16, 16, 1))
    )
    samples = decode_image(held_out["samples/prior"][-1][1])
    assert samples.shape == grid.shape
    assert samples.std() > 0  # digits, not a blank canvas
    figure = decode_image(held_out["latents/channel_kl"][-1][1])
    assert figure.ndim == 3 and figure.shape[0] > 100 and figure.std() > 0


@pytest.mark.parametrize("every", [0, 4, 6])
def test_intervals_that_are_off_or_multiples_of_the_log_interval_pass(every):
    monitoring.check_interval("eval_every", every, 2)


@pytest.mark.parametrize("every", [3, -2])
def test_other_intervals_are_a_clear_error(every):
    with pytest.raises(
        ValueError, match=r"train.eval_every \(.*\) must be 0 \(off\) or a multiple"
    ):
        monitoring.check_interval("eval_every", every, 2)
