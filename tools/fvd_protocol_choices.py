"""How much FVD moves with the protocol's choices, on one model's samples (docs/EVALUATION.md).

    python tools/fvd_protocol_choices.py --workdir=runs/demo --out=/tmp/fvd_choices

Draws `--num_samples` futures of `--long_future_frames` frames for the first `--num_clips`
test clips of the run's `train.eval_split` (its newest checkpoint), takes the next
`--num_clips` clips as a second real set, and computes FVD (I3D logits, Fréchet distance of
`vrnn_tf.metrics`) under each choice, one at a time from the protocol's:

    protocol        context + `--future_frames` predicted frames, one sample per clip
                    (repeat r takes sample r of every clip), mean +- std over the samples
    no context      the predicted frames only
    all samples     every sample of every clip in one fake set (N x S videos)
    clip length     context + (9 - context) frames (I3D's shortest), and context +
                    `--long_future_frames`
    resize          half-pixel-centre bilinear (tf.image.resize, jax.image.resize) instead
                    of TF 1's resize_bilinear grid
    fewer clips     the first N/4 and N/2 clips
    real vs real    the real clips against the second real set (no model)

Also writes `real.npy` (uint8) and `fake.npy` (float32) of the protocol's clips into
`--out`, for `python -m vrnn_tf.score --real=OUT/real.npy --fake=OUT/fake.npy
--context_frames=C`. Prints a markdown table; `choices.json` holds every number. I3D costs
~0.5-1 s per clip on 2 CPU cores: 64 clips x 3 samples take ~20 minutes.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import numpy as np  # noqa: E402

from data_prep import command_line  # noqa: E402
from data_prep import files  # noqa: E402
from vrnn_tf import config_checks  # noqa: E402
from vrnn_tf import configurables  # noqa: E402
from vrnn_tf import gin_settings  # noqa: E402
from vrnn_tf import metrics  # noqa: E402
from vrnn_tf import sampling  # noqa: E402
from vrnn_tf import workdirs  # noqa: E402
from vrnn_tf.data import inputs  # noqa: E402
from vrnn_tf.evaluation import protocol  # noqa: E402
from vrnn_tf.metrics import i3d  # noqa: E402
from vrnn_tf.metrics import network_util  # noqa: E402


def define_flags(flag_values):
    define = command_line.FlagDefiner(flag_values)
    define.string("workdir", None, "A vrnn_tf.train workdir (config.gin, checkpoints/).")
    define.string("out", None, "Output folder: real.npy, fake.npy, logits, choices.json.")
    define.integer("num_clips", 64, "Test clips scored (and as many more as a second real set).")
    define.integer("num_samples", 3, "Samples per clip.")
    define.integer("future_frames", 10, "Predicted frames of the protocol's clips.")
    define.integer("long_future_frames", 20, "Predicted frames of the longer clips.")
    define.integer("seed", 0, "Seed of the samples.")


def half_pixel_matrix(in_size, out_size):
    """float32 `[out_size, in_size]`: bilinear with half-pixel centres (no antialiasing)."""
    source = (np.arange(out_size) + 0.5) * in_size / out_size - 0.5
    source = np.clip(source, 0, in_size - 1)
    low = np.floor(source).astype(np.int64)
    high = np.minimum(low + 1, in_size - 1)
    matrix = np.zeros((out_size, in_size), np.float64)
    matrix[np.arange(out_size), low] += 1.0 - (source - low)
    matrix[np.arange(out_size), high] += source - low
    return matrix.astype(np.float32)


def half_pixel_logits(videos):
    """I3D logits of `[N, T, H, W, C]` resized with half-pixel centres."""
    videos = network_util.to_rgb(videos, "videos")
    rows = half_pixel_matrix(videos.shape[2], i3d.INPUT_SIZE)
    cols = half_pixel_matrix(videos.shape[3], i3d.INPUT_SIZE)

    def preprocess(batch):
        batch = np.einsum("oh,nthwc->ntowc", rows, batch)
        return 2.0 * np.einsum("pw,ntowc->ntopc", cols, batch) - 1.0

    return network_util.predict_in_batches(i3d.load_i3d(), videos, 16, transform=preprocess)


def cached(out, tag, name, compute):
    """`compute()`'s array, saved as OUT/NAME-TAG.npy (a rerun with the same flags reads it)."""
    path = os.path.join(out, f"{name}-{tag}.npy")
    if not os.path.exists(path):
        with files.atomic_path(path) as tmp:
            np.save(tmp, compute())
    return np.load(path)


class Clips:
    """The real clips, the second real set and the model's samples, and their I3D logits
    (each cached in `out`).

    Attributes:
        real, other: float32 `[N, context + long future, H, W, ch]`: the clips scored, and the
            second real set.
        samples: `[N, S, long future, H, W, ch]`: S futures of every clip of `real`.
        context: int. Context frames.
    """

    def __init__(self, real, other, samples, context, out, tag):
        self.real, self.other, self.samples, self.context = real, other, samples, context
        self.out, self.tag = out, tag

    def fake_clips(self, frames, with_context=True):
        """`[N * S, T, H, W, ch]`, clip-major: the first `frames` predicted frames of every
        sample, after the clip's context with `with_context`."""
        n, s = self.samples.shape[:2]
        futures = self.samples[:, :, :frames].reshape((n * s, frames) + self.samples.shape[3:])
        if not with_context:
            return futures
        context = np.repeat(self.real[:, : self.context], s, axis=0)
        return np.concatenate([context, futures], axis=1)

    def logits(self, name, videos, compute=metrics.i3d_logits):
        return cached(self.out, self.tag, f"logits_{name}", lambda: compute(videos))

    def fake_logits(self, name, frames, with_context=True, compute=metrics.i3d_logits):
        """`[N, S, 400]`: the logits of `fake_clips(frames, with_context)`."""
        n, s = self.samples.shape[:2]
        return self.logits(name, self.fake_clips(frames, with_context), compute).reshape(n, s, -1)


def per_sample(real, fake):
    """FVD of `real` `[N, 400]` against each sample's set `fake[:, s]`, `fake` `[N, S, 400]`."""
    scores = [metrics.frechet_distance(real, fake[:, s]) for s in range(fake.shape[1])]
    return dict(mean=float(np.mean(scores)), std=float(np.std(scores)), repeats=scores)


def load_clips(flag_values):
    """Parses the run's config; reads 2N test clips of context + long future frames and
    draws (or reads from the cache) the samples.

    Returns:
        `(checkpoint step, split, Clips)`.
    """
    try:
        step, checkpoint = workdirs.parse_config(flag_values.workdir)[-1]
    except FileNotFoundError as error:
        raise command_line.UsageError(str(error)) from error
    context = configurables.model_setting("context_frames")
    n, s, long_f = flag_values.num_clips, flag_values.num_samples, flag_values.long_future_frames
    split = gin_settings.bound_argument(configurables.train, "eval_split")
    data = config_checks.bound_dataset()(split, context + long_f).take(2 * n)
    clips = np.concatenate(list(inputs.numpy_batches(data, 16)))  # [2N, C + long_f, H, W, ch]
    real = clips[:n]

    def draw():
        model = configurables.build_model()
        model.load_weights(checkpoint)
        sampler = sampling.Sampler(model, long_f, s)
        return protocol.draw_futures(sampler, real[:, :context], s, 8, flag_values.seed)

    # Every flag that changes a cached array: a rerun with other settings computes afresh.
    tag = f"{n}x{s}-f{flag_values.future_frames}-long{long_f}-seed{flag_values.seed}"
    samples = cached(flag_values.out, tag, "samples", draw)  # [N, S, long_f, H, W, ch]
    return step, split, Clips(real, clips[n:], samples, context, flag_values.out, tag)


def save_protocol_clips(clips, out, future_frames):
    """real.npy (uint8) and fake.npy (float32) of the protocol's clips, for vrnn_tf.score."""
    frames = clips.context + future_frames
    with files.atomic_path(os.path.join(out, "real.npy")) as tmp:
        np.save(tmp, np.round(clips.real[:, :frames] * 255).astype(np.uint8))
    with files.atomic_path(os.path.join(out, "fake.npy")) as tmp:
        np.save(tmp, clips.samples[:, :, :future_frames].astype(np.float32))


def choices(clips, f, base_real, base_fake):
    """[(choice, clips, frames, real logits [n, 400], fake logits [n, S, 400])], the protocol's
    first, then one changed choice a row.

    Args:
        clips: `Clips`.
        f: int. The protocol's predicted frames.
        base_real, base_fake: the logits of the protocol's clips.
    """
    n, context = len(clips.real), clips.context
    long_f = clips.samples.shape[2]
    short_f = i3d.MIN_FRAMES - context
    real = clips.real
    return [
        ("protocol: context + predicted, 1 sample per clip", n, context + f, base_real, base_fake),
        (
            "predicted frames only (no context)",
            n,
            f,
            clips.logits("real_nocontext", real[:, context : context + f]),
            clips.fake_logits("fake_nocontext", f, with_context=False),
        ),
        (
            f"clip length {context + short_f} (shortest for I3D)",
            n,
            context + short_f,
            clips.logits("real_short", real[:, : context + short_f]),
            clips.fake_logits("fake_short", short_f),
        ),
        (
            f"clip length {context + long_f}",
            n,
            context + long_f,
            clips.logits("real_long", real),
            clips.fake_logits("fake_long", long_f),
        ),
        (
            "resize: half-pixel bilinear, not TF1's",
            n,
            context + f,
            clips.logits("real_halfpixel", real[:, : context + f], half_pixel_logits),
            clips.fake_logits("fake_halfpixel", f, compute=half_pixel_logits),
        ),
        ("first N/2 clips", n // 2, context + f, base_real[: n // 2], base_fake[: n // 2]),
        ("first N/4 clips", n // 4, context + f, base_real[: n // 4], base_fake[: n // 4]),
    ]


def fvd_rows(clips, f):
    """{choice: dict(clips, frames, mean, std, repeats)}: FVD under every choice."""
    n, s = clips.samples.shape[:2]
    frames = clips.context + f
    base_real = clips.logits("real", clips.real[:, :frames])
    base_fake = clips.fake_logits("fake", f)
    rows = {}
    for name, clips_used, frames_used, real_logits, fake in choices(clips, f, base_real, base_fake):
        if clips_used >= 2:
            rows[name] = dict(clips=clips_used, frames=frames_used, **per_sample(real_logits, fake))
    pooled = metrics.frechet_distance(base_real, base_fake.reshape(n * s, -1))
    rows[f"all {s} samples per clip in one fake set"] = dict(
        clips=n, frames=frames, mean=pooled, std=0.0, repeats=[pooled]
    )
    floor = metrics.frechet_distance(base_real, clips.logits("real_other", clips.other[:, :frames]))
    rows["real vs other real clips (no model)"] = dict(
        clips=n, frames=frames, mean=floor, std=0.0, repeats=[floor]
    )
    return rows


def main(argv, flag_values):
    if not flag_values.workdir:
        raise command_line.UsageError("--workdir is required (a vrnn_tf.train workdir).")
    command_line.check_writable_folder(flag_values.out, "--out")
    step, split, clips = load_clips(flag_values)
    f = flag_values.future_frames
    save_protocol_clips(clips, flag_values.out, f)
    workdir = os.path.abspath(flag_values.workdir)
    report = dict(workdir=workdir, step=step, split=split, rows=fvd_rows(clips, f))
    files.write_json(os.path.join(flag_values.out, "choices.json"), report)
    n, s = clips.samples.shape[:2]
    print(
        f"{flag_values.workdir} step {step}, {split} split, {n} clips x {s} samples, "
        f"{clips.context} context"
    )
    print("| FVD computed with | clips | frames | FVD |\n|---|---|---|---|")
    for name, row in report["rows"].items():
        spread = f" ± {row['std']:.1f}" if len(row["repeats"]) > 1 else ""
        print(f"| {name} | {row['clips']} | {row['frames']} | {row['mean']:.1f}{spread} |")


if __name__ == "__main__":
    command_line.run(main, define_flags)
