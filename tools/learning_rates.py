"""The optimizer and learning-rate schedule that each gin config trains with, as a markdown table.

    python tools/learning_rates.py gin/*.gin gin/paper/*.gin gin/replication/*.gin

Builds no model: `vrnn_tf.build_optimizer()` on each config, at its `train.batch_size`.
"""

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import gin  # noqa: E402

import vrnn_tf  # noqa: E402
import vrnn_tf.train  # noqa: E402,F401  (registers train and the datasets)
from vrnn_tf import schedules  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="+", help="gin files (paths relative to the repo root)")
    args = parser.parse_args(argv)
    os.chdir(REPO)  # gin includes are relative to the repository root
    print("| config | global batch | optimizer | weight decay | learning rate |")
    print("|---|---:|---|---|---|")
    for path in args.configs:
        gin.clear_config()
        gin.parse_config_file(path)
        optimizer = vrnn_tf.build_optimizer()
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
    main()
