"""A trained model as a TensorFlow SavedModel that samples futures: writing and reading it.

`export_saved_model` writes one (training ends with it; `python -m vrnn_tf.export` writes
one from a checkpoint). Loading and calling it needs TensorFlow only (no vrnn_tf, no gin):

    exported = tf.saved_model.load(path)
    futures = exported.predict(context, num_future=28, num_samples=5, seed=0)

    context: float32 `[B, context_frames, H, W, 3]`, RGB in [0, 1].
    futures: float32 `[B, num_samples, num_future, H, W, 3]` in [0, 1].

A model conditioned on actions (`build_model.action_dim > 0`) takes them second:

    futures = exported.predict(context, actions, num_future=28, num_samples=5, seed=0)

    actions: float32 `[B, >= context_frames + num_future - 1, action_dim]`: action t is
        taken at frame t (the first context frame is frame 0).

A grayscale model (SM-MNIST) reads the luminance of the context and returns
gray RGB frames. The same seed gives the same futures, those of the model's
own `generate`. `num_future` may exceed the training horizon: sampling is
`vrnn_tf.sampling.sample_futures`, a `tf.while_loop` of one step per frame.

The export folder also holds `vrnn_tf_export.json`: image size, context
frames, `action_dim`, the gin config and the checkpoint step (`load_metadata` reads it).
"""

import json
import os

import numpy as np
import tensorflow as tf

from data_prep import command_line
from data_prep import files
from vrnn_tf import nonfinite
from vrnn_tf import sampling
from vrnn_tf import video_model

METADATA_FILE = "vrnn_tf_export.json"
FORMAT = "vrnn_tf.export/1"


def predict_function(model):
    """The `predict` endpoint of `model`, a plain function for `tf.function`.

    Args:
        model: a built `VideoPredictionModel` with 1 or 3 image channels.

    Returns:
        `predict(context, num_future, num_samples, seed)`: context float32
        `[B, C, H, W, 3]`, the rest int32 scalars -> float32 `[B, S, F, H, W, 3]`;
        for an action model `predict(context, actions, num_future, num_samples, seed)`,
        actions float32 `[B, >= C + F - 1, action_dim]`.
    """
    if model.image_channels not in (1, 3):
        raise ValueError(
            f"Only grayscale or RGB models can be exported; this one has "
            f"{model.image_channels} image channels."
        )

    def predict_with_actions(context, actions, num_future, num_samples, seed):
        checks = [
            tf.debugging.assert_positive(num_future, message="num_future must be >= 1"),
            tf.debugging.assert_positive(num_samples, message="num_samples must be >= 1"),
        ]
        if actions is not None:
            needed = model.context_frames + num_future - 1
            checks += [
                tf.debugging.assert_equal(
                    tf.shape(actions)[0],
                    tf.shape(context)[0],
                    message="actions and context must hold the same number of clips",
                ),
                tf.debugging.assert_greater_equal(
                    tf.shape(actions)[1],
                    needed,
                    message="actions must hold context_frames + num_future - 1 actions per "
                    "clip: one per predicted frame, from the last context frame on",
                ),
            ]
        with tf.control_dependencies(checks):  # before anything reads the inputs
            context = tf.identity(context)
            if actions is not None:
                actions = tf.identity(actions)
        if model.image_channels == 1:
            context = tf.image.rgb_to_grayscale(context)
        frames = sampling.sample_futures(model, context, num_future, num_samples, seed, actions)
        if model.image_channels == 1:
            frames = tf.repeat(frames, 3, axis=-1)
        return frames

    if model.action_dim:
        return predict_with_actions

    def predict(context, num_future, num_samples, seed):
        return predict_with_actions(context, None, num_future, num_samples, seed)

    return predict


def is_export(path):
    return os.path.isfile(os.path.join(path, METADATA_FILE)) and os.path.isfile(
        os.path.join(path, "saved_model.pb")
    )


def load_metadata(path):
    """The metadata dict of a vrnn_tf export; a ValueError if `path` is not one."""
    if not os.path.isdir(path):
        raise ValueError(f"{path} is not a vrnn_tf export: no such folder.")
    if not is_export(path):
        raise ValueError(
            f"{path} is not a vrnn_tf export: it lacks {METADATA_FILE} or saved_model.pb "
            f"(write one with `python -m vrnn_tf.export --workdir DIR --out {path}`)."
        )
    with open(os.path.join(path, METADATA_FILE)) as f:
        metadata = json.load(f)
    if metadata.get("format") != FORMAT:
        raise ValueError(
            f"{os.path.join(path, METADATA_FILE)} has format {metadata.get('format')!r}; "
            f"this vrnn_tf reads {FORMAT!r}."
        )
    return metadata


def check_export_path(path):
    """An export may replace an earlier vrnn_tf export at `path`, nothing else: a
    `UsageError` (a ValueError) before any work."""
    if os.path.exists(path) and not is_export(path):
        raise command_line.UsageError(
            f"{path} exists and is not a vrnn_tf export: not overwriting it."
        )


def export_saved_model(model, path, gin_config="", step=None):
    """Writes `model` as a SavedModel with a `predict` endpoint, atomically.

    The export is written to a temporary folder next to `path`, then renamed;
    an earlier vrnn_tf export at `path` is replaced, any other folder there
    is an error.

    Args:
        model: a built `VideoPredictionModel` (TensorFlow backend).
        path: str. The export folder.
        gin_config: str. The model's gin config, kept in the metadata.
        step: int or None. The training step of the weights.

    Returns:
        dict: the metadata written next to the graph.

    Raises:
        nonfinite.NonFiniteWeightsError: a weight is NaN/Inf (nothing is written).
    """
    path = os.path.abspath(path)
    check_export_path(path)
    nonfinite.check_finite(model, f"the export {path}")
    size, num_context = model.image_size, model.context_frames
    # A plain tf.Module, not keras.export.ExportArchive: the archive traces
    # the endpoint once to find its resources and again while saving, and a
    # trace of the sampling loop is most of an export's time.
    module = tf.Module()
    module.model_variables = [variable.value for variable in model.variables]
    context_spec = tf.TensorSpec([None, num_context, size, size, 3], tf.float32, name="context")
    actions_spec = tf.TensorSpec([None, None, model.action_dim], tf.float32, name="actions")
    counts_spec = [
        tf.TensorSpec([], tf.int32, name=name) for name in ("num_future", "num_samples", "seed")
    ]
    module.predict = tf.function(
        predict_function(model),
        input_signature=[context_spec] + ([actions_spec] if model.action_dim else []) + counts_spec,
        autograph=False,  # the loop is an explicit tf.while_loop
    )
    actions = (
        f", actions float32 [B, >= context_frames + num_future - 1, {model.action_dim}]"
        if model.action_dim
        else ""
    )
    metadata = {
        "format": FORMAT,
        "image_size": size,
        "context_frames": num_context,
        "model_image_channels": model.image_channels,
        "action_dim": model.action_dim,
        "step": step,
        "endpoint": "predict(context float32 [B, context_frames, H, W, 3] in [0, 1]"
        f"{actions}, num_future int32, num_samples int32, seed int32) -> float32 "
        "[B, num_samples, num_future, H, W, 3] in [0, 1]",
        "gin_config": gin_config,
    }
    # An older export at `path` is replaced only once the new one is complete.
    with files.atomic_path(path) as tmp:
        tf.saved_model.save(module, tmp, signatures={"predict": module.predict})
        files.write_json(os.path.join(tmp, METADATA_FILE), metadata)
    return metadata


class ExportedModel:
    """A `vrnn_tf.export` SavedModel with the model's `generate`.

    Needs TensorFlow only; gray models get gray RGB context and give back one
    channel, as the data pipelines yield it.
    """

    def __init__(self, path):
        metadata = load_metadata(path)
        self.path = path
        self.image_channels = metadata["model_image_channels"]
        self.context_frames = metadata["context_frames"]
        self.action_dim = metadata.get("action_dim", 0)  # absent from older exports: none
        self._exported = tf.saved_model.load(path)

    def generate(self, context, num_future, num_samples=1, seed=0, actions=None):
        """float `[B, context_frames, H, W, C]` (and, for an action model, actions
        `[B, >= context_frames + num_future - 1, A]`) -> float32 `[B, samples, future, H, W, C]`.
        """
        context = np.asarray(context, np.float32)
        if context.shape[-1] == 1:
            context = np.repeat(context, 3, axis=-1)
        counts = (int(num_future), int(num_samples), int(seed))
        transitions = self.context_frames + int(num_future) - 1
        video_model.check_actions(self.action_dim, actions, transitions, "the actions")
        if not self.action_dim:
            futures = self._exported.predict(context, *counts)
        else:
            futures = self._exported.predict(context, np.asarray(actions, np.float32), *counts)
        return futures.numpy()[..., : self.image_channels]
