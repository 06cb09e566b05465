"""What every command line of vrnn_tf shares: flags, gin parsing, setting checks, ``app.run``.

The ``python -m vrnn_tf.X`` entry points (and the ``vrnn-*`` commands of setup.py) define
their flags with the helpers here, parse gin with `parse_gin` (the one place that sets gin's
search path), check their settings with the ``check_*`` functions before any heavy work, and
run through `run`. Every check raises `ConfigError` with a message that says what is wrong
and which flag or gin binding to change; `run` turns it into a usage error.

Logging: before Keras is imported, ``vrnn_tf/__init__.py`` has set TensorFlow's native log
level (``data_prep/tf_logs.py``). Here the Python side follows: absl turns its default
verbosity (WARNING) into INFO when the flag is not given, which shows TensorFlow's Python INFO
lines (SavedModel's renaming of the sampler's captured variables, "Assets written to ...",
MirroredStrategy's devices). Without ``--verbosity`` the level stays WARNING; ``--verbosity=0``
(INFO) or higher shows them, and TensorFlow's native log with them.
"""

import os

import gin
from absl import app
from absl import flags
from absl import logging

from vrnn_tf import configurables
from vrnn_tf.backends import distribute
from vrnn_tf.data import datasets
from vrnn_tf.training import loop  # registers `train` (and, through it, the datasets) with gin

REPO = configurables.REPO


class ConfigError(ValueError):
    """Bad flags or gin bindings, found before any work."""


def define_run_flags():
    """--workdir, --gin_file and --gin_bindings: every entry point that reads or writes a run.

    Defined once per process, whichever entry point asks first (tests import several).
    """
    if "workdir" in flags.FLAGS:
        return
    flags.DEFINE_string(
        "workdir", None, "The run's folder: training writes checkpoints and logs there."
    )
    flags.DEFINE_multi_string("gin_file", [], "gin config files, applied in order.")
    flags.DEFINE_multi_string(
        "gin_bindings", [], 'gin bindings, applied last, e.g. "train.steps = 10".'
    )


def parse_gin(gin_files, gin_bindings):
    """Parses gin files (paths relative to the repo or the working folder) and bindings.

    A saved run's config is re-parsed by `vrnn_tf.training.workdirs` instead.

    Raises:
        ConfigError: a missing file, a syntax error or a binding of an
            unknown function or argument.
    """
    configurables.add_repo_to_search_path()
    try:
        gin.parse_config_files_and_bindings(gin_files, gin_bindings)
    except (ValueError, IOError) as error:
        raise ConfigError(
            f"Bad gin configuration (--gin_file={list(gin_files)}, "
            f"--gin_bindings={list(gin_bindings)}): {error}. Check the spelling of the "
            f"binding against the function's arguments (e.g. `train.steps`, "
            f"`build_model.image_size`), and that every --gin_file exists."
        ) from error


def check_workdir(workdir, flag="--workdir"):
    """Creates the output folder and fails early, clearly, if it cannot be written."""
    if not workdir:
        raise ConfigError(f"{flag} is required: where checkpoints and logs go.")
    try:
        os.makedirs(workdir, exist_ok=True)
        probe = os.path.join(workdir, f".write-test-{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as error:
        raise ConfigError(
            f"{flag}={workdir} is not writable ({error}); pass a folder you can write to."
        ) from error


def check_sequence_lengths(context_frames, sequence_length, max_frames=None, what="clips"):
    """The model needs more frames than its context; the data may have a maximum.

    Args:
        context_frames: int. `build_model.context_frames`.
        sequence_length: int. Frames per clip (context + predicted).
        max_frames: int or None. Longest clip the data holds.
        what: str. Names the setting that makes `sequence_length`, for the message.
    """
    if context_frames < 1:
        raise ConfigError(
            f"build_model.context_frames = {context_frames}; it must be >= 1 (the model "
            "conditions on at least one frame)."
        )
    if sequence_length <= context_frames:
        raise ConfigError(
            f"{what} have {sequence_length} frames, not more than build_model.context_frames "
            f"= {context_frames}: nothing is left to predict. Use longer {what} or fewer "
            "context frames."
        )
    if max_frames is not None and sequence_length > max_frames:
        raise ConfigError(
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
        raise ConfigError(f"{dataset.name}: {error}") from error
    if geometry.image_size != image_size:
        raise ConfigError(
            f"{dataset.name} yields {geometry.image_size}x{geometry.image_size} frames but the "
            f"model is built for {image_size}x{image_size} (build_model.image_size): set "
            f"build_model.image_size = {geometry.image_size} (and a model config for that "
            f"resolution), or the dataset's frame size where it has one "
            f"({dataset.name}.image_size = {image_size})."
        )
    if geometry.image_channels != image_channels:
        raise ConfigError(
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
        raise ConfigError(
            f"{dataset.name} yields actions of size {geometry.action_dim} per frame but "
            f"build_model.action_dim = {action_dim}: {fix}."
        )
    return geometry


def bound_dataset():
    """The dataset that gin binds to `train.dataset`, instantiated with its own bindings.

    Raises:
        ConfigError: no dataset is bound.
    """
    try:
        reference = gin.query_parameter("train.dataset")
    except ValueError as error:
        raise ConfigError(
            "No dataset: bind one, e.g. --gin_bindings='train.dataset = @smmnist_dataset'."
        ) from error
    dataset = reference.scoped_configurable_fn
    if not (isinstance(dataset, type) and issubclass(dataset, datasets.VideoDataset)):
        raise ConfigError(
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
        return configurables.bound_argument(loop.train, name)

    try:
        distribute.plan_xla(
            setting("jit_compile"), strategy, setting("run_eagerly"), setting("deterministic_ops")
        )
    except ValueError as error:
        raise ConfigError(str(error)) from error
    future_frames = setting("future_frames")
    if future_frames < 1:
        raise ConfigError(
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


def run(main, positional_args=False):
    """``app.run(main)``: Python logging at WARNING unless ``--verbosity`` is given, a
    `ConfigError` shown as a usage error, and arguments that are not flags refused unless
    `positional_args` (tools that take a list of gin files)."""

    def main_with_quiet_logs(argv):
        if not flags.FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)
        if len(argv) > 1 and not positional_args:
            raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
        try:
            return main(argv)
        except ConfigError as error:
            raise app.UsageError(str(error)) from error

    app.run(main_with_quiet_logs)
