"""Parameter counts of gin configs against the paper's, as a markdown table.

Each config's header comment states the paper's count as "Paper: <N>M"
(gin/paper/*.gin, gin/*.gin); configs without one get an empty paper column.

    python tools/count_parameters.py gin/paper/*.gin gin/smmnist_hier.gin ...

Builds every model (a few seconds each on a CPU, ~1 GB of memory for the
largest) and prints: config | ours | paper | ours / paper.
"""

import argparse
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import gin  # noqa: E402

import vrnn_tf  # noqa: E402
import vrnn_tf.train  # noqa: E402,F401  (registers train and the datasets)

_PAPER_COUNT = re.compile(r"Paper:\s*([\d.]+)M")


def paper_count(path):
    """The "Paper: <N>M" figure in the config's comments, in parameters, or None."""
    with open(path) as f:
        match = _PAPER_COUNT.search(f.read())
    return float(match.group(1)) * 1e6 if match else None


def count(path):
    gin.clear_config()
    gin.parse_config_file(path)
    model = vrnn_tf.build_model()
    return model.count_params()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="+", help="gin files (paths relative to the repo root)")
    args = parser.parse_args(argv)
    os.chdir(REPO)  # gin includes are relative to the repository root
    print("| config | parameters | paper | ratio |")
    print("|---|---:|---:|---:|")
    for path in args.configs:
        ours, paper = count(path), paper_count(path)
        ratio = f"{ours / paper:.2f}" if paper else ""
        paper_text = f"{paper / 1e6:.2f}M" if paper else ""
        print(f"| `{path}` | {ours / 1e6:.2f}M | {paper_text} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
