"""Trains a hierarchical VRNN: `python -m vrnn_tf.train --gin_file=gin/X.gin --workdir=DIR`.

The loop and what it writes into DIR: `vrnn_tf.training.loop.train`. Restarted with the
same workdir, it continues from the newest checkpoint.
"""

from absl import flags

from data_prep import command_line
from vrnn_tf import cli
from vrnn_tf import config_checks
from vrnn_tf import configurables
from vrnn_tf.backends import distribute
from vrnn_tf.training import callbacks
from vrnn_tf.training import checkpoints


def define_flags(flag_values):
    cli.define_run_flags(flag_values)
    flags.DEFINE_enum(
        "strategy",
        "default",
        distribute.STRATEGIES,
        "default: one device (JAX: all devices); mirrored: all local devices; "
        "multi_worker: MultiWorkerMirroredStrategy from TF_CONFIG (TensorFlow backend).",
        flag_values=flag_values,
    )


def main(argv, flag_values):
    command_line.check_writable_folder(flag_values.workdir, "--workdir")
    cli.parse_gin(flag_values.gin_file, flag_values.gin_bindings)
    config_checks.check_train_config(flag_values.strategy)
    try:
        configurables.train(flag_values.workdir, strategy=flag_values.strategy)
    except (callbacks.NonFiniteTrainingError, checkpoints.UnreadableCheckpointsError) as error:
        raise command_line.CommandError(str(error)) from error


def run():
    """`python -m vrnn_tf.train` and the `vrnn-train` command (setup.py)."""
    command_line.run(main, define_flags)


if __name__ == "__main__":
    run()
