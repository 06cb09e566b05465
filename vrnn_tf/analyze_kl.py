"""KL per latent channel of a trained run (paper Fig. 4):
`python -m vrnn_tf.analyze_kl --workdir DIR`.

Loads the run's operative gin config (`DIR/config.gin`, then any
`--gin_file` / `--gin_bindings`, e.g. a moved data folder) and its newest
checkpoint, runs the training pass on `--num_sequences` held-out videos of
the run's `train.eval_split`, and writes `DIR/kl_analysis.png` (one bar chart
per level, channels sorted by KL, the 0.01 and 0.15 thresholds dashed) and
`DIR/kl_analysis.json` (per level: resolution, channel count, active and
maximally active channels, mean KL of every channel). See
`vrnn_tf.analysis.kl_analysis` for what is averaged.
"""

import os

from absl import app
from absl import flags
from tqdm import tqdm

from vrnn_tf import cli
from vrnn_tf import configurables
from vrnn_tf import files
from vrnn_tf.analysis import kl_analysis
from vrnn_tf.analysis import visualize
from vrnn_tf.training import loop
from vrnn_tf.training import workdirs

FLAGS = flags.FLAGS
cli.define_run_flags()
flags.DEFINE_integer(
    "num_sequences", None, "Held-out videos to analyse. Defaults to the run's train.eval_sequences."
)
flags.DEFINE_string("out", None, "Output path without extension. Defaults to DIR/kl_analysis.")


def analyze(workdir, num_sequences=None, out=None, gin_files=(), gin_bindings=()):
    """Writes `{out}.png` and `{out}.json`; returns the JSON's dict."""
    model, step = workdirs.load_model(workdir, gin_files=gin_files, gin_bindings=gin_bindings)

    def bound(name):  # the run's setting of train(name=...)
        return configurables.bound_argument(loop.train, name)

    if num_sequences is None:
        num_sequences = bound("eval_sequences")
    if num_sequences < 1:
        raise ValueError(f"--num_sequences must be >= 1, got {num_sequences}.")
    split = bound("eval_split")
    dataset = cli.bound_dataset()(split, model.context_frames + bound("future_frames"))
    batches = dataset.take(num_sequences).batch(bound("batch_size"))
    mean_kl, num_videos = kl_analysis.mean_channel_kl(
        model, tqdm(batches, desc="KL per channel", unit="batch")
    )
    result = dict(
        workdir=workdir,
        step=step,
        split=split,
        num_sequences=num_videos,
        **kl_analysis.summary(model, mean_kl),
    )
    out = out or os.path.join(workdir, "kl_analysis")
    image = kl_analysis.figure_image(
        mean_kl, model.hierarchy.resolutions, title=f"KL per latent channel, step {step}"
    )
    visualize.save_png(f"{out}.png", image)
    files.write_json(f"{out}.json", result)
    return result


def main(argv):
    if not FLAGS.workdir:
        raise app.UsageError("--workdir is required: the folder of a vrnn_tf.train run.")
    try:
        result = analyze(
            FLAGS.workdir, FLAGS.num_sequences, FLAGS.out, FLAGS.gin_file, FLAGS.gin_bindings
        )
    except (FileNotFoundError, ValueError) as error:
        raise app.UsageError(str(error)) from error
    for level in result["levels"]:
        print(
            f"level {level['level']} ({level['resolution']}x{level['resolution']}): "
            f"{level['active']}/{level['channels']} active, {level['max_active']} maximally active",
            flush=True,
        )


def run():
    """`python -m vrnn_tf.analyze_kl` and the `vrnn-analyze-kl` command (setup.py)."""
    cli.run(main)


if __name__ == "__main__":
    run()
