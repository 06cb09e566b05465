"""What every command line of the repository shares (vrnn_tf's and data_prep's): absl's
`app.run` with quiet logs, and one way to fail.

A command module defines `define_flags(flag_values)` (with `FlagDefiner`) and
`main(argv, flag_values)`, and its `run()` is `command_line.run(main, define_flags)`. `main`
returns nothing on success and fails in one of two ways:

- `UsageError`: a bad flag, setting or input file, found before any work. The program prints
  `usage error: <message>` (the message names the flag or gin binding) and exits with status
  2, as absl's own flag errors do here (an unknown flag, a missing required one).
- `CommandError`: the work failed. The program prints `error: <message>` and exits with
  status 1.

Any other exception is a bug: its traceback, status 1. `execute` runs a command in the
calling process, with flag values of its own, and returns the status the program would exit
with (the tests run every command so).

This module imports only absl (the converters' worker processes import it too).
"""

import functools
import os
import sys

from absl import app
from absl import flags
from absl import logging

EXIT_FAILURE = 1
EXIT_USAGE = 2


class UsageError(ValueError):
    """A bad flag, setting or input file, found before any work (exit status 2)."""


class CommandError(RuntimeError):
    """The command's work failed; the message says what happened and what to do (status 1)."""


class FlagDefiner:
    """`define.string(name, default, help)` is `flags.DEFINE_string(name, default, help,
    flag_values=flag_values)`, and so for every `DEFINE_*` kind: a command's flags in the
    flag values `run` or `execute` gives it."""

    def __init__(self, flag_values):
        self.flag_values = flag_values

    def __getattr__(self, kind):
        return functools.partial(getattr(flags, f"DEFINE_{kind}"), flag_values=self.flag_values)


def check_writable_folder(folder, flag):
    """Creates `folder` if needed; a `UsageError` naming `flag` if it is missing or not
    writable (checked by writing a file), before any work."""
    if not folder:
        raise UsageError(f"{flag} is required.")
    try:
        os.makedirs(folder, exist_ok=True)
        probe = os.path.join(folder, f".write-test-{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as error:
        raise UsageError(
            f"{flag}={folder} is not writable ({error}); pass a folder you can write to."
        ) from error


def run(main, define_flags, positional_args=False):
    """Defines the flags, parses `sys.argv` and exits with `main`'s status (module doc).

    Python's log stays at WARNING unless `--verbosity` is given (absl would show INFO).

    Args:
        main: callable `(argv, flag_values)`.
        define_flags: callable `(flag_values)`.
        positional_args: bool. Accept arguments that are not flags (tools that take a list
            of gin files); otherwise they are a usage error.
    """
    define_flags(flags.FLAGS)

    def main_with_quiet_logs(argv):
        if not flags.FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)
        return exit_status(main, argv, flags.FLAGS, positional_args)

    app.run(main_with_quiet_logs, flags_parser=_parse_or_exit)


def execute(main, define_flags, args, positional_args=False):
    """`run`'s work in this process, with flag values of its own; returns the exit status.

    Args:
        main, define_flags, positional_args: as in `run`.
        args: list of str. The command line after the program's name.
    """
    flag_values = flags.FlagValues()
    define_flags(flag_values)
    try:
        argv = parse(flag_values, ["command", *args])
    except UsageError as error:
        return _report(error, EXIT_USAGE)
    try:
        return exit_status(main, argv, flag_values, positional_args)
    finally:
        flag_values.unparse_flags()


def parse(flag_values, argv):
    """`flag_values(argv)`, absl's flag errors raised as `UsageError`."""
    try:
        return flag_values(argv)
    except flags.Error as error:
        raise UsageError(f"{error}. Pass --help to see the flags.") from error


def exit_status(main, argv, flag_values, positional_args=False):
    """Calls `main(argv, flag_values)`; returns 0, or reports its failure and returns 2 / 1."""
    try:
        if len(argv) > 1 and not positional_args:
            raise UsageError(f"Unexpected arguments: {argv[1:]}; every setting is a --flag.")
        main(argv, flag_values)
    except (UsageError, app.UsageError) as error:
        return _report(error, EXIT_USAGE)
    except CommandError as error:
        return _report(error, EXIT_FAILURE)
    return 0


def _parse_or_exit(argv):
    try:
        return parse(flags.FLAGS, argv)
    except UsageError as error:
        sys.exit(_report(error, EXIT_USAGE))


def _report(error, status):
    prefix = "usage error" if status == EXIT_USAGE else "error"
    print(f"{prefix}: {error}", file=sys.stderr, flush=True)
    return status
