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
from vrnn_tf.data import datasets

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ConfigError(ValueError):
    """Bad flags or gin bindings, found before any work."""


def parse_gin(gin_files, gin_bindings):
    """Parses gin files (paths relative to the repo or the working folder) and bindings.

    Raises:
        ConfigError: a missing file, a syntax error or a binding of an
            unknown function or argument.
    """
    gin.add_config_file_search_path(REPO)
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


def check_dataset_matches_model(dataset, image_size, image_channels):
    """The frames a gin dataset function yields fit the model's `image_size` / `image_channels`.

    Returns:
        The dataset's geometry (`datasets.frame_geometry`).
    """
    name = getattr(dataset, "__name__", "the dataset")
    check_data_dir(dataset)
    try:
        geometry = datasets.frame_geometry(dataset)
    except (OSError, ValueError) as error:
        raise ConfigError(f"{name}: {error}") from error
    size, channels = geometry.get("image_size"), geometry.get("image_channels")
    if size is not None and size != image_size:
        fix = (
            f"set {name}.image_size = {image_size} or build_model.image_size = {size}"
            if name == "smmnist_dataset"
            else f"set build_model.image_size = {size} (and a model config for that resolution)"
        )
        raise ConfigError(
            f"{name} yields {size}x{size} frames but the model is built for "
            f"{image_size}x{image_size} (build_model.image_size): {fix}."
        )
    if channels is not None and channels != image_channels:
        raise ConfigError(
            f"{name} yields frames of {channels} channel(s) but build_model.image_channels = "
            f"{image_channels}; set build_model.image_channels = {channels}."
        )
    return geometry


def check_data_dir(dataset):
    """A dataset function with a `data_dir` argument must point at an existing folder."""
    name = getattr(dataset, "__name__", None)
    try:
        data_dir = configurables.bound_argument(dataset, "data_dir")
    except (KeyError, ValueError):
        return  # no data_dir argument: the data are generated
    if not os.path.isdir(data_dir):
        raise ConfigError(
            f"Data folder {os.path.abspath(data_dir)} ({name}.data_dir) does not exist. Point "
            f"to it with --gin_bindings=\"{name}.data_dir='/path/to/data'\" (see README.md, "
            "Data)."
        )


def check_train_config(dataset, future_frames):
    """All the checks `python -m vrnn_tf.train` can make before building anything."""
    image_size = configurables.bound_argument(configurables.build_model, "image_size")
    image_channels = configurables.bound_argument(configurables.build_model, "image_channels")
    context_frames = configurables.bound_argument(configurables.build_model, "context_frames")
    if future_frames < 1:
        raise ConfigError(
            f"train.future_frames = {future_frames}; training needs at least 1 frame to "
            "predict after the context."
        )
    geometry = check_dataset_matches_model(dataset, image_size, image_channels)
    check_sequence_lengths(
        context_frames,
        context_frames + future_frames,
        geometry.get("max_frames"),
        what="training clips (build_model.context_frames + train.future_frames)",
    )

def run(main):
    """``app.run(main)``, with Python logging at WARNING unless ``--verbosity`` is given."""

    def main_with_quiet_logs(argv):
        if not flags.FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)
        return main(argv)

    app.run(main_with_quiet_logs)
