"""The KL of every latent channel of a trained run (paper Fig. 4): the library of
`python -m vrnn_tf.analyze_kl`.

`analyze` loads the run's operative gin config (`DIR/config.gin`, then extra gin files and
bindings, e.g. a moved data folder) and its newest checkpoint, runs the training pass on
held-out videos of the run's `train.eval_split`, and writes `kl_analysis.png` (one bar chart
per level, channels sorted by KL, the 0.01 and 0.15 thresholds dashed) and
`kl_analysis.json` (per level: resolution, channel count, active and maximally active
channels, mean KL of every channel). `vrnn_tf.analysis.kl_analysis` says what is averaged.
"""

import os

from tqdm import tqdm

from data_prep import command_line
from data_prep import files
from vrnn_tf import config_checks
from vrnn_tf import configurables
from vrnn_tf import gin_settings
from vrnn_tf import workdirs
from vrnn_tf.analysis import kl_analysis
from vrnn_tf.analysis import visualize


def analyze(workdir, num_sequences=None, out=None, gin_files=(), gin_bindings=()):
    """Writes `{out}.png` and `{out}.json`; returns the JSON's dict."""
    model, step = workdirs.load_model(workdir, gin_files=gin_files, gin_bindings=gin_bindings)

    def bound(name):  # the run's setting of train(name=...)
        return gin_settings.bound_argument(configurables.train, name)

    if num_sequences is None:
        num_sequences = bound("eval_sequences")
    if num_sequences < 1:
        raise command_line.UsageError(f"--num_sequences must be >= 1, got {num_sequences}.")
    split = bound("eval_split")
    dataset = config_checks.bound_dataset()(split, model.context_frames + bound("future_frames"))
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
        mean_kl, model.latent_resolutions, title=f"KL per latent channel, step {step}"
    )
    visualize.save_png(f"{out}.png", image)
    files.write_json(f"{out}.json", result)
    return result
