"""What the vrnn_tf command lines share: the flags of a run and the parsing of gin.

Each `python -m vrnn_tf.X` entry point (and `vrnn-*` command of setup.py) defines its flags
(`define_run_flags` for --workdir, --gin_file, --gin_bindings), parses gin with `parse_gin`
(the one place that sets gin's search path), checks its settings before any heavy work
(`vrnn_tf.config_checks`) and runs through `data_prep.command_line.run`: a bad flag, setting or
file is a usage error (exit status 2), a failure of the work exit status 1.

Logging: before Keras is imported, `vrnn_tf/__init__.py` has set TensorFlow's native log level
(`data_prep/tf_logs.py`); `command_line.run` keeps Python's log at WARNING unless
`--verbosity` is given, which hides TensorFlow's Python INFO lines (SavedModel's renaming of
the sampler's captured variables, "Assets written to ...", MirroredStrategy's devices);
`--verbosity=0` (INFO) or higher shows them, and TensorFlow's native log with them.
"""

from absl import flags

from data_prep import command_line
from vrnn_tf import configurables


def define_run_flags(flag_values):
    """--workdir, --gin_file and --gin_bindings: every entry point that reads or writes a run."""
    flags.DEFINE_string(
        "workdir",
        None,
        "The run's folder: training writes checkpoints and logs there.",
        flag_values=flag_values,
    )
    flags.DEFINE_multi_string(
        "gin_file", [], "gin config files, applied in order.", flag_values=flag_values
    )
    flags.DEFINE_multi_string(
        "gin_bindings",
        [],
        'gin bindings, applied last, e.g. "train.steps = 10".',
        flag_values=flag_values,
    )


def parse_gin(gin_files, gin_bindings):
    """Parses gin files (paths relative to the repo or the working folder) and bindings.

    A saved run's config is re-parsed by `vrnn_tf.workdirs` instead.

    Raises:
        command_line.UsageError: a missing file, a syntax error or a binding of an unknown
            function or argument.
    """
    try:
        configurables.parse_gin(gin_files, gin_bindings)
    except (ValueError, IOError) as error:
        raise command_line.UsageError(
            f"Bad gin configuration (--gin_file={list(gin_files)}, "
            f"--gin_bindings={list(gin_bindings)}): {error}. Check the spelling of the "
            f"binding against the function's arguments (e.g. `train.steps`, "
            f"`build_model.image_size`), and that every --gin_file exists."
        ) from error
