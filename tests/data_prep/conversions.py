"""Runs data_prep's converters as their users do: a command line, and a conversion killed midway.

Not installed with the package: import it from the repository root (pytest's `pythonpath = .`)
as `from tests.data_prep import conversions`.

Public API:
    command_line(module, args) -> exit status of `python -m data_prep.<module> ARGS`
    convert_until_killed(module, after_items, *args, **kwargs): `module.convert` in a process
        killed (SIGKILL) after it wrote `after_items` items
"""

import os
import signal
import subprocess
import sys

from data_prep import command_line as command_line_lib

from conftest import REPO
from conftest import cli_env

# A kill, not an exception: the process dies at the `after`-th call of `Progress.update`, which
# `clip_shard_writer.write_shards` makes once the records of an item are in the shard.
_KILLED_CONVERSION = """
import os
import signal

from data_prep import progress
from data_prep import {module}

update, calls = progress.Progress.update, []


def update_then_die(self):
    update(self)
    calls.append(None)
    if len(calls) == {after}:
        os.kill(os.getpid(), signal.SIGKILL)


progress.Progress.update = update_then_die
{module}.convert(*{args!r}, **{kwargs!r})
"""


def command_line(module, args):
    """`python -m data_prep.<module> ARGS` in this process, in flag values of its own (the
    converters' flags share names, --src, --out, and tests share a process).

    Returns:
        The exit status the program would exit with (`data_prep.command_line.execute`).
    """
    return command_line_lib.execute(module.main, module.define_flags, args)


def convert_until_killed(module, after_items, *args, **kwargs):
    """Runs `module.convert(*args, **kwargs)` in a new process killed with SIGKILL (no cleanup,
    no `finally`) once `after_items` items (sequences, videos) are written to their shard.

    `args` and `kwargs` must be Python literals (paths as str).
    """
    code = _KILLED_CONVERSION.format(
        module=module.__name__.rsplit(".", 1)[-1],
        after=int(after_items),
        args=tuple(os.fspath(a) if isinstance(a, os.PathLike) else a for a in args),
        kwargs=kwargs,
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=cli_env(),
        timeout=300,
    )
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stderr[-3000:])
