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

from vrnn_tf import cli
from vrnn_tf import evaluate

import _common  # noqa: F401 (first: sys.path, TF log level)

FLAGS = flags.FLAGS
evaluate.define_flags()
flags.DEFINE_bool("python_loop", False, "Sample with the eager generate() loop instead.")


def python_loop_factory(settings):
    """`evaluate.sampler_factory` with `HierarchicalVRNN.generate` in place of the Sampler."""

    def make_sampler(samples_per_call):
        model = evaluate.checkpoint_model(settings)
        return lambda context, seed, actions=None: model.generate(
            context, settings["future_frames"], samples_per_call, seed, actions
        )

    return make_sampler


def main(argv):
    if FLAGS.python_loop:
        evaluate.sampler_factory = python_loop_factory
    start = time.perf_counter()
    evaluate.main(argv)
    with open(f"{FLAGS.out}/results.json") as f:
        results = json.load(f)
    numbers = dict(
        method="python loop (generate)" if FLAGS.python_loop else "Sampler (compiled)",
        sequences=results["num_sequences"],
        samples=results["settings"]["num_samples"],
        future_frames=results["settings"]["future_frames"],
        protocol_seconds=round(results["seconds"], 1),
        command_seconds=round(time.perf_counter() - start, 1),
        **{name: round(results[name]["mean"], 4) for name in ("ssim", "psnr", "lpips", "fvd")},
    )
    print(json.dumps(numbers), flush=True)


if __name__ == "__main__":
    flags.mark_flag_as_required("out")
    cli.run(main)
