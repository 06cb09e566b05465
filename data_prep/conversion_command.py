"""What the converters' commands (`data_prep.videos`, `data_prep.cityscapes`) share: their
common flags, and how a conversion's errors become the command's.

A converter's `define_flags` calls `define_flags(flag_values)`, then
`flags.adopt_module_key_flags(conversion_command, flag_values)` so that its `--help` lists
them; its `main` passes `settings(flag_values)` to the conversion, inside `failures()`.
absl's own `--verbosity` (`-v`) sets TensorFlow's native log level (`data_prep/tf_logs.py`).
"""

import contextlib

from data_prep import clip_shard_writer
from data_prep import command_line


def define_flags(flag_values):
    """Defines `--workers` and `--no_progress`."""
    define = command_line.FlagDefiner(flag_values)
    define.integer("workers", None, "Reader processes (default: every core).")
    define.boolean("no_progress", False, "Hide the progress bar.")


def settings(flag_values):
    """The conversion's keyword arguments that the shared flags set."""
    return {"workers": flag_values.workers, "progress": not flag_values.no_progress}


@contextlib.contextmanager
def failures():
    """Makes a conversion's failures the command's (`data_prep.command_line`).

    A `SettingsError` or a `FileNotFoundError` (a bad setting, source or output folder,
    found before any work) is a `UsageError`; any other `ValueError` (the work failed: a
    frame that cannot be decoded, bad input under `--strict`) a `CommandError`.
    """
    try:
        yield
    except (clip_shard_writer.SettingsError, FileNotFoundError) as error:
        raise command_line.UsageError(str(error)) from error
    except ValueError as error:
        raise command_line.CommandError(str(error)) from error
