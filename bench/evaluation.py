"""Wall time of the whole evaluation protocol: `vrnn_tf.evaluate` as it samples (the
compiled `vrnn_tf.sampling.Sampler`) or, with `--python_loop`, drawing the same futures
with the Python loop of `HierarchicalVRNN.generate` (how evaluate sampled up to commit
10f2f57): the before/after of docs/PERFORMANCE.md.

Usage (from the repository root; every flag of `vrnn_tf.evaluate` applies):

    python bench/evaluation.py --workdir=runs/demo --out=/tmp/eval_sampler
    python bench/evaluation.py --workdir=runs/demo --out=/tmp/eval_loop --python_loop

Prints one JSON line: the sampling method, the protocol's wall time (results.json's
`seconds`: sampling and scoring; model loading and data set-up excluded) and its scores.
Give each method its own `--out`: a rerun into a folder with saved chunks only aggregates.
"""

import json
import time

from absl import flags

from data_prep import command_line
from vrnn_tf import cli
from vrnn_tf import evaluate
from vrnn_tf.evaluation import model_evaluation

import _common  # noqa: F401 (first: sys.path, TF log level)


def define_flags(flag_values):
    """`vrnn_tf.evaluate`'s flags (listed by `--help`), --out required, and --python_loop."""
    evaluate.define_flags(flag_values)
    for module in (cli, evaluate):
        flags.adopt_module_key_flags(module, flag_values=flag_values)
    flags.mark_flag_as_required("out", flag_values=flag_values)
    define = command_line.FlagDefiner(flag_values)
    define.bool("python_loop", False, "Sample with the eager generate() loop instead.")


def python_loop_factory(settings):
    """`model_evaluation.sampler_factory` with `HierarchicalVRNN.generate` in place of the
    Sampler."""

    def make_sampler(samples_per_call):
        model = model_evaluation.checkpoint_model(settings)
        return lambda context, seed, actions=None: model.generate(
            context, settings["future_frames"], samples_per_call, seed, actions
        )

    return make_sampler


def main(argv, flag_values):
    if flag_values.python_loop:
        model_evaluation.sampler_factory = python_loop_factory
    start = time.perf_counter()
    evaluate.main(argv, flag_values)
    with open(f"{flag_values.out}/results.json") as f:
        results = json.load(f)
    numbers = dict(
        method="python loop (generate)" if flag_values.python_loop else "Sampler (compiled)",
        sequences=results["num_sequences"],
        samples=results["settings"]["num_samples"],
        future_frames=results["settings"]["future_frames"],
        protocol_seconds=round(results["seconds"], 1),
        command_seconds=round(time.perf_counter() - start, 1),
        **{name: round(results[name]["mean"], 4) for name in ("ssim", "psnr", "lpips", "fvd")},
    )
    print(json.dumps(numbers), flush=True)


if __name__ == "__main__":
    command_line.run(main, define_flags)
