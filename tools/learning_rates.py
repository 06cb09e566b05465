"""The optimizer and learning-rate schedule that each gin config trains with, as a markdown table.

    python tools/learning_rates.py gin/*.gin gin/paper/*.gin gin/replication/*.gin

Builds no model: `vrnn_tf.build_optimizer()` on each config, at its `train.batch_size`.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import gin  # noqa: E402

from data_prep import command_line  # noqa: E402
from vrnn_tf import cli  # noqa: E402
from vrnn_tf import configurables  # noqa: E402
from vrnn_tf import schedules  # noqa: E402


def define_flags(flag_values):
    """No flags: the gin files are the arguments."""


def main(argv, flag_values):
    configs = argv[1:]  # gin files (paths relative to the repository or the working folder)
    if not configs:
        raise command_line.UsageError("Give one or more gin files, e.g. gin/*.gin")
    print_table(configs)


def print_table(configs):
    print("| config | global batch | optimizer | weight decay | learning rate |")
    print("|---|---:|---|---|---|")
    for path in configs:
        gin.clear_config()
        cli.parse_gin([path], [])
        optimizer = configurables.build_optimizer()
        if hasattr(optimizer, "l2_weight_decay"):
            decay = f"{optimizer.l2_weight_decay:g} coupled (L2)"
        else:
            decay = f"{optimizer.weight_decay:g} decoupled"
        print(
            f"| `{path}` | {gin.query_parameter('train.batch_size')} | "
            f"{type(optimizer).__name__} | {decay} | "
            f"{schedules.describe_learning_rate(optimizer)} |"
        )


if __name__ == "__main__":
    command_line.run(main, define_flags, positional_args=True)
