"""A training run's folder (`vrnn_tf.train --workdir`), reloaded: its gin config and checkpoints.

`vrnn_tf.evaluate`, `vrnn_tf.export` and `vrnn_tf.analyze_kl` rebuild a
trained model the same way: re-parse the run's operative config
(`WORKDIR/config.gin`, which names every setting the run used), build the
model, load a checkpoint of `WORKDIR/checkpoints/`.
"""

import os

import gin

from vrnn_tf import configurables
from vrnn_tf.training import checkpoints
from vrnn_tf.training import loop  # noqa: F401  (registers `train` and the datasets with gin)

CONFIG_NAME = "config.gin"


def parse_config(workdir, gin_files=(), gin_bindings=(), skip_unknown=False):
    """Checks that `workdir` is a run with a checkpoint, then parses its config.gin.

    Args:
        workdir: str. A `vrnn_tf.train` workdir.
        gin_files, gin_bindings: applied after config.gin (e.g. a moved data folder).
        skip_unknown: bool. Ignore bindings of configurables this process has
            not imported (an export needs only the model's).

    Returns:
        list of `(step, path)` of the run's checkpoints, oldest first (not empty).

    Raises:
        FileNotFoundError: no such folder, no config.gin or no checkpoint.
        ValueError: the config or a binding does not parse.
    """
    if not workdir or not os.path.isdir(workdir):
        raise FileNotFoundError(f"--workdir={workdir} is not a folder (a vrnn_tf.train workdir).")
    config = os.path.join(workdir, CONFIG_NAME)
    if not os.path.isfile(config):
        raise FileNotFoundError(
            f"{config} does not exist: --workdir={workdir} is not a vrnn_tf.train workdir."
        )
    found = checkpoints.list_checkpoints(workdir)  # before the (slow) model build
    if not found:
        raise FileNotFoundError(
            f"No checkpoint (ckpt-*.keras) in {checkpoints.checkpoint_dir(workdir)}: "
            "train first, or wait for the first checkpoint."
        )
    parse_saved_config(
        config, [config, *gin_files], gin_bindings=gin_bindings, skip_unknown=skip_unknown
    )
    return found


def parse_saved_config(
    source, config_files=(), config_text=None, gin_bindings=(), skip_unknown=False
):
    """Replaces gin's configuration by a saved run's config, then the caller's bindings.

    Args:
        source: str. Names the saved config in the error message.
        config_files: gin files to parse, in order.
        config_text: str or None. A config kept as text (an export's
            metadata); parsed first, skipping configurables not imported here.
        gin_bindings: applied last.
        skip_unknown: bool. Whether `config_files` and `gin_bindings` may bind
            configurables this process has not imported.

    Raises:
        ValueError: the config or a binding does not parse.
    """
    gin.clear_config()
    configurables.add_repo_to_search_path()
    try:
        if config_text is not None:
            gin.parse_config(config_text, skip_unknown=True)
        gin.parse_config_files_and_bindings(
            list(config_files), list(gin_bindings), skip_unknown=skip_unknown
        )
    except (ValueError, IOError) as error:
        raise ValueError(
            f"Cannot parse {source} with bindings {list(gin_bindings)}: {error}"
        ) from error


def load_model(workdir, step=None, gin_files=(), gin_bindings=(), skip_unknown=False):
    """The run's model with a checkpoint's weights.

    Args:
        workdir, gin_files, gin_bindings, skip_unknown: as in `parse_config`.
        step: int or None. The checkpoint to load; None: the newest readable
            one (`checkpoints.restore_latest`: a corrupt newest one is set
            aside with a warning).

    Returns:
        `(model, step)`.

    Raises:
        FileNotFoundError, ValueError: as `parse_config`; ValueError also when
            there is no checkpoint of `step`.
    """
    found = dict(parse_config(workdir, gin_files, gin_bindings, skip_unknown))
    if step is not None and step not in found:
        raise ValueError(
            f"{checkpoints.checkpoint_dir(workdir)} has no checkpoint of step {step}; "
            f"it has steps {sorted(found)}."
        )
    model = configurables.build_model()
    if step is None:
        return model, checkpoints.restore_latest(model, workdir)
    model.load_weights(found[step])
    return model, step


def load_trained_model(workdir, step=None):
    """The model of a training workdir with a checkpoint's weights.

    Args:
        workdir: str. A `vrnn_tf.train` workdir (config.gin, checkpoints/).
        step: int or None (the newest checkpoint).

    Returns:
        `(model, step, gin_config)`: `gin_config` is the run's config.gin, kept in the export.
    """
    # The training and data bindings are not needed to rebuild the model.
    model, step = load_model(workdir, step, skip_unknown=True)
    with open(os.path.join(workdir, CONFIG_NAME)) as f:
        return model, step, f.read()
