"""Action-conditioned prediction: the actions steer the futures, only those within the horizon,
a task only actions can solve, clear refusals, and training -> export -> predict -> evaluate."""

import json
import os

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

import vrnn_tf
from data_prep import command_line
from tests.data_prep import tfrecord_testing
from vrnn_tf import batch_layout
from vrnn_tf import config_checks
from vrnn_tf import configurables
from vrnn_tf import prediction
from vrnn_tf import sampling
from vrnn_tf import saved_model
from vrnn_tf import workdirs
from vrnn_tf.data import datasets
from vrnn_tf.evaluation import model_evaluation
from vrnn_tf.evaluation import protocol

from conftest import TINY_EVAL_GIN
from conftest import TINY_MODEL_GIN

ACTION_DIM = 2


def action_model(gin_text=TINY_MODEL_GIN, action_dim=ACTION_DIM):
    gin.clear_config()
    gin.parse_config(gin_text + f"build_model.action_dim = {action_dim}\n")
    model = vrnn_tf.build_model()
    gin.clear_config()
    return model


@pytest.fixture(scope="module")
def model():
    return action_model()


def test_the_action_free_model_is_the_one_without_action_inputs():
    gin.clear_config()
    gin.parse_config(TINY_MODEL_GIN)
    free = vrnn_tf.build_model()
    gin.clear_config()
    with_actions = action_model()
    assert free.action_dim == 0
    # The action's channels widen the 1x1 input convs of the 2 priors + 2 posteriors
    # (8 hidden channels each) and the renderer's first ConvLSTM (3x3, 4 x 16 gates).
    extra = ACTION_DIM * (4 * 8 + 9 * 4 * 16)
    assert with_actions.count_params() - free.count_params() == extra


def test_the_futures_follow_the_actions_within_the_horizon_and_only_those(model):
    rng = np.random.default_rng(0)
    context = rng.uniform(size=(2, 2, 16, 16, 1)).astype("float32")
    num_future = 3
    # One action per transition: frames 0..4, actions 0..3; step t reads action 1 + t.
    actions = rng.uniform(-1, 1, size=(2, 2 + num_future - 1, ACTION_DIM)).astype("float32")

    def futures(acts):
        return np.asarray(model.generate(context, num_future, 2, seed=4, actions=acts))

    reference = futures(actions)
    later = np.concatenate([actions, rng.uniform(-1, 1, size=(2, 3, ACTION_DIM))], axis=1)
    np.testing.assert_array_equal(futures(later.astype("float32")), reference)
    before_context_end = actions.copy()
    before_context_end[:, 0] += 5.0  # the action from frame 0 to frame 1: within the context
    np.testing.assert_array_equal(futures(before_context_end), reference)
    for t in range(num_future):  # step t reads action context_frames - 1 + t
        changed = actions.copy()
        changed[:, 1 + t] += 1.0
        moved = np.abs(futures(changed) - reference).max(axis=(0, 1, 3, 4, 5))
        assert np.all(moved[:t] == 0) and moved[t] > 1e-4, (t, moved)
    # The compiled sampler draws the same futures.
    compiled = sampling.Sampler(model, num_future, 2)(context, seed=4, actions=actions)
    np.testing.assert_allclose(np.asarray(compiled), reference, atol=1e-5)


def test_action_and_action_free_models_refuse_the_other_kind_of_call(model):
    gin.clear_config()
    gin.parse_config(TINY_MODEL_GIN)
    free = vrnn_tf.build_model()
    gin.clear_config()
    context = np.zeros((1, 2, 16, 16, 1), "float32")
    video = np.zeros((1, 4, 16, 16, 1), "float32")
    actions = np.zeros((1, 3, ACTION_DIM), "float32")
    with pytest.raises(ValueError, match=r"conditioned on actions \(build_model.action_dim = 2\)"):
        model.generate(context, 2)
    with pytest.raises(ValueError, match="conditioned on actions"):
        model(video)
    with pytest.raises(ValueError, match="conditioned on actions"):
        sampling.Sampler(model, 2)(context, seed=0)
    with pytest.raises(ValueError, match=r"takes no actions \(build_model.action_dim = 0\)"):
        free.generate(context, 2, actions=actions)
    with pytest.raises(ValueError, match="takes no actions"):
        free({"video": video, "actions": actions})
    with pytest.raises(ValueError, match="3 actions per clip, but 4 are needed"):
        model.generate(context, 3, actions=actions)
    with pytest.raises(ValueError, match=r"shaped \[batch, transitions, 2\]"):
        model.generate(context, 2, actions=np.zeros((1, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"must be an int >= 0"):
        action_model(action_dim=-1)


SIZE, SIDE, MOVE = 16, 4, 2


def square_clips(rng, count, frames=5):
    """A white 4x4 square on black that moves by its action each frame.

    Returns:
        dict batch: video `[count, frames, 16, 16, 1]`, actions `[count, frames - 1, 2]` in
        {-1, 0, 1}: the move (x MOVE pixels, stopped at the border) from frame t to t + 1.
    """
    moves = rng.integers(-1, 2, size=(count, frames - 1, 2))
    position = rng.integers(0, SIZE - SIDE + 1, size=(count, 2))
    video = np.zeros((count, frames, SIZE, SIZE, 1), np.float32)
    for t in range(frames):
        for i, (y, x) in enumerate(position):
            video[i, t, y : y + SIDE, x : x + SIDE] = 1.0
        if t < frames - 1:
            position = np.clip(position + MOVE * moves[:, t], 0, SIZE - SIDE)
    return {batch_layout.VIDEO: video, batch_layout.ACTIONS: moves.astype(np.float32)}


def square_task_error(action_dim, steps=300, batch=16):
    """Mean squared error of prior futures on held-out squares after `steps` of training."""
    keras.utils.set_random_seed(0)
    model = action_model(action_dim=action_dim)
    model.compile(
        optimizer=vrnn_tf.build_optimizer(
            global_batch_size=batch, base_learning_rate=3e-3, peak_learning_rate=3e-3
        )
    )
    train = square_clips(np.random.default_rng(0), batch * steps)
    model.fit(
        train if action_dim else train[batch_layout.VIDEO],
        batch_size=batch,
        epochs=1,
        verbose=0,
        shuffle=False,
    )
    test = square_clips(np.random.default_rng(1), 32)
    futures = model.generate(
        test[batch_layout.VIDEO][:, :2],
        3,
        4,
        seed=0,
        actions=test[batch_layout.ACTIONS] if action_dim else None,
    )
    return float(np.mean((np.asarray(futures) - test[batch_layout.VIDEO][:, None, 2:]) ** 2))


@pytest.mark.slow  # two models x 300 steps: 3-5 minutes on 2 cores; `make test-all`, not CI
def test_on_a_square_moved_by_its_action_the_action_model_predicts_far_better():
    # Where the square goes is a coin toss without the actions and known with them; the
    # same tiny model, data and steps (300 steps of batch 16, about a minute each).
    with_actions, without = square_task_error(ACTION_DIM), square_task_error(0)
    assert with_actions < 0.5 * without, (with_actions, without)


def test_synthetic_videos_come_with_actions_on_both_input_paths():
    dataset = datasets.SyntheticVideos(image_size=8, image_channels=1, action_dim=3)
    assert dataset.geometry().action_dim == 3
    clips = list(dataset("test", 4).take(2).as_numpy_iterator())
    assert clips[0]["video"].shape == (4, 8, 8, 1) and clips[0]["actions"].shape == (3, 3)
    assert np.all(np.abs(clips[0]["actions"]) <= 1.0)
    # The TensorFlow-free path (JAX) makes the same clips.
    keras_backend = keras.backend.backend
    try:
        keras.backend.backend = lambda: "jax"
        indexed = dataset("test", 4)
    finally:
        keras.backend.backend = keras_backend
    batch = indexed.make_batch(0, 2)
    for key in ("video", "actions"):
        np.testing.assert_array_equal(batch[key], np.stack([c[key] for c in clips]))


def test_bair_clips_carry_the_action_of_each_transition(tmp_path):
    rng = np.random.default_rng(0)
    trajectories = [tfrecord_testing.bair_trajectory(rng) for _ in range(2)]
    data_dir = tmp_path / "softmotion30_44k"
    tfrecord_testing.write_bair_file(data_dir / "test" / "traj_0_to_1.tfrecords", trajectories)
    dataset = datasets.BairRobotPushing(data_dir=str(data_dir), with_actions=True)
    assert dataset.geometry().action_dim == 4
    clips = list(dataset("test", 6).as_numpy_iterator())
    assert len(clips) == 2
    for clip, trajectory in zip(clips, trajectories):
        np.testing.assert_allclose(clip["video"], trajectory["image_aux1"][:6] / 255.0, atol=1e-6)
        np.testing.assert_array_equal(clip["actions"], trajectory["action"][:5])
    with pytest.raises(ValueError, match="source = 'tfrecords'"):
        datasets.BairRobotPushing(source="tfds", with_actions=True)


def test_the_setting_checks_match_the_actions_of_data_and_model():
    dataset = datasets.SyntheticVideos(image_size=16, image_channels=1, action_dim=4)
    assert config_checks.check_dataset_matches_model(dataset, 16, 1, 4).action_dim == 4
    with pytest.raises(
        command_line.UsageError, match="build_model.action_dim = 0: a model without"
    ):
        config_checks.check_dataset_matches_model(dataset, 16, 1, 0)
    with pytest.raises(command_line.UsageError, match="set build_model.action_dim = 4"):
        config_checks.check_dataset_matches_model(dataset, 16, 1, 2)
    plain = datasets.SyntheticVideos(image_size=16, image_channels=1)
    with pytest.raises(command_line.UsageError, match="with_actions = True"):
        config_checks.check_dataset_matches_model(plain, 16, 1, 4)


def test_the_evaluation_draws_each_clip_with_its_own_actions():
    rng = np.random.default_rng(0)
    clips = rng.uniform(size=(3, 5, 4, 4, 1)).astype("float32")
    actions = rng.uniform(size=(3, 4, 2)).astype("float32")
    calls = []

    def sample(context, seed, acts):  # 2 contexts per call, 1 future each (drawn twice)
        calls.append(acts)
        return np.repeat(acts[:, None, :3, None, None, :1], 4, axis=3).repeat(4, axis=4)

    settings = dict(num_samples=2, chunk_size=3, futures_per_call=4, context_frames=2, seed=0)
    futures = protocol.sample_chunk(sample, clips, settings, 0, actions)
    assert futures.shape == (3, 2, 3, 4, 4, 1)
    # Each context's futures saw its own actions; the short last group is padded with its last.
    np.testing.assert_array_equal(
        futures[:, :, :, 0, 0, 0], np.repeat(actions[:, None, :3, 0], 2, 1)
    )
    np.testing.assert_array_equal(calls[-1], actions[[2, 2]])


ACTION_RUN_GIN = (
    TINY_EVAL_GIN
    + f"""
build_model.action_dim = {ACTION_DIM}
train.dataset = @synthetic_dataset
synthetic_dataset.image_size = 32
synthetic_dataset.image_channels = 1
synthetic_dataset.action_dim = {ACTION_DIM}
synthetic_dataset.num_sequences = 3
train.batch_size = 2
train.future_frames = 7
train.steps = 2
train.log_every = 1
train.checkpoint_every = 2
train.eval_every = 2
train.sample_every = 2
train.eval_sequences = 2
train.sample_sequences = 2
train.samples_per_sequence = 2
train.run_eagerly = True
train.export = True
"""
)


@pytest.mark.slow  # the action model end to end through four commands: `make test-all`
def test_an_action_model_trains_exports_predicts_and_evaluates_on_true_actions(tmp_path):
    workdir = str(tmp_path / "run")
    os.makedirs(workdir)
    gin.clear_config()
    gin.parse_config(ACTION_RUN_GIN)
    summary = configurables.train(workdir)
    assert summary["steps"] == 2 and np.isfinite(summary["test_neg_elbo_after"])
    gin.clear_config()

    export_path = os.path.join(workdir, "saved_model")
    assert saved_model.load_metadata(export_path)["action_dim"] == ACTION_DIM
    exported = saved_model.ExportedModel(export_path)
    model, _, _ = workdirs.load_trained_model(workdir)
    gin.clear_config()
    rng = np.random.default_rng(0)
    context = rng.uniform(size=(2, 2, 32, 32, 1)).astype("float32")
    actions = rng.uniform(-1, 1, size=(2, 5, ACTION_DIM)).astype("float32")
    served = exported.generate(context, 4, 2, seed=3, actions=actions)
    gray = tf.image.rgb_to_grayscale(np.repeat(context, 3, axis=-1))  # the context as served
    direct = np.asarray(model.generate(gray, 4, 2, seed=3, actions=actions))
    np.testing.assert_allclose(served, direct, atol=1e-5)
    with pytest.raises(ValueError, match="conditioned on actions"):
        exported.generate(context, 4, 2, seed=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="context_frames \\+ num_future - 1"):
        exported._exported.predict(tf.constant(np.repeat(context, 3, -1)), actions, 5, 1, 0)

    # vrnn_tf.predict follows an .npy of actions, and asks for one.
    clip = tmp_path / "clip.npy"
    np.save(clip, (context[0, :, :, :, 0] * 255).astype(np.uint8))
    actions_file = tmp_path / "actions.npy"
    np.save(actions_file, actions[0])
    gif = str(tmp_path / "futures.gif")
    futures = prediction.predict_clip(
        export_path, str(clip), gif, num_samples=2, num_future=4, actions_path=str(actions_file)
    )
    assert futures.shape == (2, 4, 32, 32, 3) and os.path.exists(gif)
    with pytest.raises(ValueError, match="--actions is required"):
        prediction.predict_clip(export_path, str(clip), gif, num_samples=2, num_future=4)
    with pytest.raises(ValueError, match=r"N >= 6"):
        prediction.predict_clip(
            export_path, str(clip), gif, num_samples=2, num_future=5, actions_path=str(actions_file)
        )

    # The protocol on the clips' own actions, reported in results.json.
    results = model_evaluation.evaluate(workdir, num_samples=2, num_sequences=3, future_frames=7)
    assert results["settings"]["action_dim"] == ACTION_DIM
    assert "own" in results["settings"]["actions"]
    with open(os.path.join(workdir, "eval_test", "results.json")) as f:
        assert json.load(f)["settings"]["actions"] == results["settings"]["actions"]
    assert np.isfinite(results["fvd"]["mean"]) and 0 <= results["ssim"]["mean"] <= 1
    gin.clear_config()


def test_predict_refuses_actions_for_an_action_free_model():
    with pytest.raises(ValueError, match="takes no actions"):
        prediction.read_actions("a.npy", 0, 3)
