"""The checks of a training config that the commands make before any work.

Each raises `data_prep.command_line.UsageError` (a ValueError) with a message that says what
is wrong and which flag or gin binding to change; a command exits with status 2 on it.
`check_train_config` makes all of `python -m vrnn_tf.train`'s; the evaluation reuses the
dataset and clip-length checks.
"""

import gin

from data_prep import command_line
from vrnn_tf import configurables
from vrnn_tf import gin_settings
from vrnn_tf.backends import distribute
from vrnn_tf.data import datasets


def check_sequence_lengths(context_frames, sequence_length, max_frames=None, what="clips"):
    """The model needs more frames than its context; the data may have a maximum.

    Args:
        context_frames: int. `build_model.context_frames`.
        sequence_length: int. Frames per clip (context + predicted).
        max_frames: int or None. Longest clip the data holds.
        what: str. Names the setting that makes `sequence_length`, for the message.
    """
    if context_frames < 1:
        raise command_line.UsageError(
            f"build_model.context_frames = {context_frames}; it must be >= 1 (the model "
            "conditions on at least one frame)."
        )
    if sequence_length <= context_frames:
        raise command_line.UsageError(
            f"{what} have {sequence_length} frames, not more than build_model.context_frames "
            f"= {context_frames}: nothing is left to predict. Use longer {what} or fewer "
            "context frames."
        )
    if max_frames is not None and sequence_length > max_frames:
        raise command_line.UsageError(
            f"{what} have {sequence_length} frames but the dataset's videos have only "
            f"{max_frames}; lower build_model.context_frames or the number of future frames."
        )


def check_dataset_matches_model(dataset, image_size, image_channels, action_dim=0):
    """The frames (and actions) a dataset yields fit the model's `image_size`,
    `image_channels` and `action_dim`.

    Args:
        dataset: a `vrnn_tf.data.datasets.VideoDataset`.
        image_size, image_channels, action_dim: int. `build_model`'s.

    Returns:
        The dataset's `Geometry`.
    """
    try:
        dataset.check_data_dir()
        geometry = dataset.geometry()
    except (OSError, ValueError) as error:
        raise command_line.UsageError(f"{dataset.name}: {error}") from error
    if geometry.image_size != image_size:
        raise command_line.UsageError(
            f"{dataset.name} yields {geometry.image_size}x{geometry.image_size} frames but the "
            f"model is built for {image_size}x{image_size} (build_model.image_size): set "
            f"build_model.image_size = {geometry.image_size} (and a model config for that "
            f"resolution), or the dataset's frame size where it has one "
            f"({dataset.name}.image_size = {image_size})."
        )
    if geometry.image_channels != image_channels:
        raise command_line.UsageError(
            f"{dataset.name} yields frames of {geometry.image_channels} channel(s) but "
            f"build_model.image_channels = {image_channels}; set build_model.image_channels = "
            f"{geometry.image_channels}."
        )
    if geometry.action_dim != action_dim:
        if not action_dim:
            fix = "a model without actions needs a dataset without them"
        elif not geometry.action_dim:
            fix = "an action model needs clips with actions (bair_dataset.with_actions = True)"
        else:
            fix = f"set build_model.action_dim = {geometry.action_dim}"
        raise command_line.UsageError(
            f"{dataset.name} yields actions of size {geometry.action_dim} per frame but "
            f"build_model.action_dim = {action_dim}: {fix}."
        )
    return geometry


def bound_dataset():
    """The dataset that gin binds to `train.dataset`, instantiated with its own bindings.

    Raises:
        command_line.UsageError: no dataset is bound.
    """
    try:
        reference = gin.query_parameter("train.dataset")
    except ValueError as error:
        raise command_line.UsageError(
            "No dataset: bind one, e.g. --gin_bindings='train.dataset = @smmnist_dataset'."
        ) from error
    dataset = reference.scoped_configurable_fn
    if not (isinstance(dataset, type) and issubclass(dataset, datasets.VideoDataset)):
        raise command_line.UsageError(
            f"train.dataset = @{reference.selector} is not a dataset class: bind a subclass of "
            "vrnn_tf.data.datasets.VideoDataset (e.g. @smmnist_dataset), which declares the "
            "frames it yields."
        )
    return dataset()


def check_train_config(strategy="default"):
    """All the checks `python -m vrnn_tf.train` can make before building anything.

    Args:
        strategy: str. The --strategy flag.
    """

    def setting(name):
        return gin_settings.bound_argument(configurables.train, name)

    try:
        distribute.plan_xla(
            setting("jit_compile"), strategy, setting("run_eagerly"), setting("deterministic_ops")
        )
    except ValueError as error:
        raise command_line.UsageError(str(error)) from error
    future_frames = setting("future_frames")
    if future_frames < 1:
        raise command_line.UsageError(
            f"train.future_frames = {future_frames}; training needs at least 1 frame to "
            "predict after the context."
        )
    context_frames = configurables.model_setting("context_frames")
    geometry = check_dataset_matches_model(
        bound_dataset(),
        configurables.model_setting("image_size"),
        configurables.model_setting("image_channels"),
        configurables.model_setting("action_dim"),
    )
    check_sequence_lengths(
        context_frames,
        context_frames + future_frames,
        geometry.max_frames,
        what="training clips (build_model.context_frames + train.future_frames)",
    )
