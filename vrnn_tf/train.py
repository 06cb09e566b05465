"""Trains a hierarchical VRNN: `python -m vrnn_tf.train --gin_file=gin/X.gin --workdir=DIR`.

The loop and what it writes into DIR: `vrnn_tf.training.loop.train`. Restarted with the
same workdir, it continues from the newest checkpoint.
"""

import sys

from absl import flags

from vrnn_tf import cli
from vrnn_tf.backends import distribute
from vrnn_tf.training import callbacks
from vrnn_tf.training import loop

FLAGS = flags.FLAGS


def define_flags():
    cli.define_run_flags()
    flags.DEFINE_enum(
        "strategy",
        "default",
        distribute.STRATEGIES,
        "default: one device (JAX: all devices); mirrored: all local devices; "
        "multi_worker: MultiWorkerMirroredStrategy from TF_CONFIG (TensorFlow backend).",
    )


def main(argv):
    cli.check_workdir(FLAGS.workdir)
    cli.parse_gin(FLAGS.gin_file, FLAGS.gin_bindings)
    cli.check_train_config(FLAGS.strategy)
    try:
        loop.train(FLAGS.workdir, strategy=FLAGS.strategy)
    except callbacks.NonFiniteTrainingError as error:
        sys.exit(f"Error: {error}")


def run():
    """`python -m vrnn_tf.train` and the `vrnn-train` command (setup.py)."""
    define_flags()
    cli.run(main)


if __name__ == "__main__":
    run()
