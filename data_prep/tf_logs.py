"""TensorFlow's native (C++) log, quiet in the command lines unless `--verbosity` asks for it.

TensorFlow logs to stderr from C++: INFO lines on loading (`cudart_stub.cc ... Could not find
cuda drivers`), the CUDA probe's `failed call to cuInit` error on a machine without a GPU,
grappler's and tf.data's warnings. `TF_CPP_MIN_LOG_LEVEL` (0: everything, 1: no INFO, 2: no
WARNING, 3: no ERROR) filters most of them, but not the lines that its libraries write while
they load, before its logging is set up (absl's "All log messages before absl::InitializeLog()
is called are written to STDERR" and what follows). So `quiet` sets the level, then imports
TensorFlow and probes its devices with stderr captured, and writes back what is not a native
log line below the level (Python warnings, say).

The level: absl's `--verbosity` (`-v`) if given (-1 WARNING: 1, 0 INFO: 0, so
`--verbosity=0` shows everything; >= 1 also sets `TF_CPP_MAX_VLOG_LEVEL`), else
`TF_CPP_MIN_LOG_LEVEL` if set in the environment, else 3: no native line, because on a run
that works they are noise, and errors reach Python as exceptions with their message.

This module imports nothing heavy: the command lines call it before TensorFlow is imported.
`vrnn_tf/__init__.py` calls `quiet_if_command_line` first thing, so `python -m vrnn_tf.X`
and the installed `vrnn-*` commands are quiet before their modules import Keras.

Public API:
    verbosity_from_argv(argv) -> int or None
    native_level(verbosity) -> int, the TF_CPP_MIN_LOG_LEVEL to use
    is_native_log_line(line, level) -> bool
    quiet(verbosity=None)
    quiet_if_command_line()
"""

import contextlib
import importlib.util
import multiprocessing
import os
import re
import sys
import tempfile

# A line of TensorFlow's native log: severity, date, time, thread, file:line].
_LOG_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^ \]]+:\d+\] ")
# absl's banner before its log is initialised (a warning) and the second line of
# cpu_feature_guard's INFO message.
_BANNERS = {
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR": "W",
    "To enable the following instructions:": "I",
}
_SEVERITIES = "IWEF"
DEFAULT_LEVEL = 3
# Python options that take a value (`python -W error -m vrnn_tf.train`).
_OPTIONS_WITH_VALUE = ("-W", "-X")


def verbosity_from_argv(argv):
    """absl's `--verbosity` / `-v` in a command line (`=N` or `N` after), or None."""
    for i, arg in enumerate(argv):
        name, equals, value = arg.partition("=")
        if name not in ("-v", "--v", "-verbosity", "--verbosity"):
            continue
        if not equals:
            value = argv[i + 1] if i + 1 < len(argv) else ""
        try:
            return int(value)
        except ValueError:
            return None  # absl will say what is wrong with it
    return None


def native_level(verbosity=None):
    """`TF_CPP_MIN_LOG_LEVEL` for an absl verbosity, else the environment's, else 3."""
    if verbosity is not None:
        return min(3, max(0, -int(verbosity)))
    try:
        return min(3, max(0, int(os.environ["TF_CPP_MIN_LOG_LEVEL"])))
    except (KeyError, ValueError):
        return DEFAULT_LEVEL


def is_native_log_line(line, level):
    """Whether `line` is a native log line that `TF_CPP_MIN_LOG_LEVEL=level` should hide."""
    match = _LOG_LINE.match(line)
    severity = (
        match.group(1)
        if match
        else next((s for banner, s in _BANNERS.items() if line.startswith(banner)), None)
    )
    return severity is not None and _SEVERITIES.index(severity) < level


@contextlib.contextmanager
def _filtered_stderr(level):
    """Captures file descriptor 2 (C++ writes there too) and writes back the lines to keep."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace")
            kept = [
                line
                for line in text.splitlines(keepends=True)
                if not is_native_log_line(line, level)
            ]
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


def quiet(verbosity=None):
    """Sets TensorFlow's native log level and imports TensorFlow quietly (see the module doc).

    Call it before TensorFlow is imported; afterwards it only sets the environment variables.

    Args:
        verbosity: int or None. absl's `--verbosity`; None: the environment's level, or 3.
    """
    level = native_level(verbosity)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = str(level)
    if verbosity is not None and verbosity >= 1:
        os.environ["TF_CPP_MAX_VLOG_LEVEL"] = str(verbosity)
    if level == 0 or "tensorflow" in sys.modules:
        return
    try:
        if importlib.util.find_spec("tensorflow") is None:  # the JAX-only GPU box
            return
    except (ImportError, ValueError):  # an import hook that refuses it
        return
    with _filtered_stderr(level):
        try:
            import tensorflow as tf
        except ImportError:  # its own error comes again where the program needs it
            return
        tf.config.list_physical_devices("GPU")  # the CUDA probe logs now, into the filter


def _module_run_with_dash_m(orig_argv):
    """The module of `python [options] -m MODULE ...`, or None."""
    args = iter(orig_argv[1:])
    for arg in args:
        if arg == "-m":
            return next(args, None)
        if arg.startswith("-m"):
            return arg[2:]
        if arg in _OPTIONS_WITH_VALUE:
            next(args, None)
        elif arg == "-c" or not arg.startswith("-"):
            return None
    return None


def quiet_if_command_line():
    """`quiet` when this process runs one of the project's programs, else nothing.

    The programs: `python -m vrnn_tf.*` / `python -m data_prep.*` and the `vrnn-*`
    console scripts. A library user's process (a notebook, pytest) and the worker processes
    of a program are left as they are.
    """
    if multiprocessing.parent_process() is not None:
        return  # a worker (the converters' readers): it has its parent's argv, and needs no TF
    module = _module_run_with_dash_m(getattr(sys, "orig_argv", []))
    script = os.path.basename(sys.argv[0]) if sys.argv else ""
    if (module or "").startswith(("vrnn_tf.", "data_prep.")) or script.startswith("vrnn-"):
        quiet(verbosity_from_argv(sys.argv[1:]))
