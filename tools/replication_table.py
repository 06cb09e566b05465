"""The small-scale replication's table (docs/RESULTS.md) from its run folders.

    python tools/replication_table.py runs/replication levels_1 hier_bw_dense ...

Reads each RUN/summary.json (test negative ELBO after training, seconds),
RUN/eval_test/results.json (best-of-N SSIM, PSNR, LPIPS; FVD) and
RUN/kl_analysis.json (active / maximally active channels per level) and
prints one markdown row per run.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from data_prep import command_line  # noqa: E402


def load(path):
    with open(path) as f:
        return json.load(f)


def row(run_dir):
    summary = load(os.path.join(run_dir, "summary.json"))
    results = load(os.path.join(run_dir, "eval_test", "results.json"))
    kl = load(os.path.join(run_dir, "kl_analysis.json"))
    levels = ", ".join(
        f"{level['resolution']}x{level['resolution']}: {level['active']}/{level['channels']} "
        f"({level['max_active']})"
        for level in kl["levels"]
    )
    return (
        f"| `{os.path.basename(run_dir)}` | {summary['parameters'] / 1e6:.2f}M "
        f"| {summary['train_seconds'] / 60:.1f} | {summary['test_neg_elbo_after']:.1f} "
        f"| {results['ssim']['mean']:.4f} | {results['psnr']['mean']:.2f} "
        f"| {results['lpips']['mean']:.4f} | {results['fvd']['mean']:.1f} | {levels} |"
    )


def define_flags(flag_values):
    """No flags: the runs' folder and names are the arguments."""


def main(argv, flag_values):
    if len(argv) < 3:
        raise command_line.UsageError("Give the runs' folder and one or more run names.")
    runs, names = argv[1], argv[2:]
    try:
        rows = [row(os.path.join(runs, name)) for name in names]
    except (OSError, ValueError, KeyError) as error:
        raise command_line.UsageError(
            f"Cannot read a run's results ({type(error).__name__}: {error}): each run needs "
            "summary.json, eval_test/results.json and kl_analysis.json."
        ) from error
    print(
        "| config | params | train min | test -ELBO | SSIM | PSNR | LPIPS | FVD "
        "| active (max. active) channels per level |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    command_line.run(main, define_flags, positional_args=True)
