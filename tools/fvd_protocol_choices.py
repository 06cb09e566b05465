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
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from vrnn_tf import cli  # noqa: E402
from vrnn_tf import configurables  # noqa: E402
from vrnn_tf import files  # noqa: E402
from vrnn_tf import metrics  # noqa: E402
from vrnn_tf import sampling  # noqa: E402
from vrnn_tf.data import inputs  # noqa: E402
from vrnn_tf.evaluation import protocol  # noqa: E402
from vrnn_tf.metrics import i3d  # noqa: E402
from vrnn_tf.metrics import network_util  # noqa: E402
from vrnn_tf.training import loop  # noqa: E402
from vrnn_tf.training import workdirs  # noqa: E402

flags.DEFINE_string("workdir", None, "A vrnn_tf.train workdir (config.gin, checkpoints/).")
flags.DEFINE_string("out", None, "Output folder: real.npy, fake.npy, logits, choices.json.")
flags.DEFINE_integer("num_clips", 64, "Test clips scored (and as many more as a second real set).")
flags.DEFINE_integer("num_samples", 3, "Samples per clip.")
flags.DEFINE_integer("future_frames", 10, "Predicted frames of the protocol's clips.")
flags.DEFINE_integer("long_future_frames", 20, "Predicted frames of the longer clips.")
flags.DEFINE_integer("seed", 0, "Seed of the samples.")
FLAGS = flags.FLAGS


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


def cached(out, name, compute):
    """`compute()`'s array, saved as OUT/NAME.npy (a rerun with the same flags reads it)."""
    tag = f"{FLAGS.num_clips}x{FLAGS.num_samples}-seed{FLAGS.seed}"
    path = os.path.join(out, f"{name}-{tag}.npy")
    if not os.path.exists(path):
        with files.atomic_path(path) as tmp:
            np.save(tmp, compute())
    return np.load(path)


def per_sample(real, fake):
    """FVD of `real` `[N, 400]` against each sample's set `fake[:, s]`, `fake` `[N, S, 400]`."""
    scores = [metrics.frechet_distance(real, fake[:, s]) for s in range(fake.shape[1])]
    return dict(mean=float(np.mean(scores)), std=float(np.std(scores)), repeats=scores)


def main(argv):
    if not FLAGS.workdir or not FLAGS.out:
        raise app.UsageError("Give --workdir and --out.")
    os.makedirs(FLAGS.out, exist_ok=True)
    step, checkpoint = workdirs.parse_config(FLAGS.workdir)[-1]
    context = configurables.model_setting("context_frames")
    n, s, f = FLAGS.num_clips, FLAGS.num_samples, FLAGS.future_frames
    long_f = FLAGS.long_future_frames
    short_f = i3d.MIN_FRAMES - context
    split = configurables.bound_argument(loop.train, "eval_split")
    data = cli.bound_dataset()(split, context + long_f).take(2 * n)
    clips = np.concatenate(list(inputs.numpy_batches(data, 16)))  # [2N, C + long_f, H, W, ch]
    real, other = clips[:n], clips[n:]

    def draw():
        model = configurables.build_model()
        model.load_weights(checkpoint)
        sampler = sampling.Sampler(model, long_f, s)
        return protocol.draw_futures(sampler, real[:, :context], s, 8, FLAGS.seed)

    samples = cached(FLAGS.out, "samples", draw)  # [N, S, long_f, H, W, ch]
    with files.atomic_path(os.path.join(FLAGS.out, "real.npy")) as tmp:
        np.save(tmp, np.round(real[:, : context + f] * 255).astype(np.uint8))
    with files.atomic_path(os.path.join(FLAGS.out, "fake.npy")) as tmp:
        np.save(tmp, samples[:, :, :f].astype(np.float32))

    def fake_clips(frames, with_context=True):  # [N * S, T, H, W, ch], clip-major
        futures = samples[:, :, :frames].reshape((n * s, frames) + samples.shape[3:])
        if not with_context:
            return futures
        return np.concatenate([np.repeat(real[:, :context], s, axis=0), futures], axis=1)

    def logits(name, videos, compute=metrics.i3d_logits):
        return cached(FLAGS.out, f"logits_{name}", lambda: compute(videos))

    def fake_logits(name, frames, with_context=True, compute=metrics.i3d_logits):
        return logits(name, fake_clips(frames, with_context), compute).reshape(n, s, -1)

    base_real = logits("real", real[:, : context + f])
    base_fake = fake_logits("fake", f)
    rows = [
        ("protocol: context + predicted, 1 sample per clip", n, context + f, base_real, base_fake),
        (
            "predicted frames only (no context)",
            n,
            f,
            logits("real_nocontext", real[:, context : context + f]),
            fake_logits("fake_nocontext", f, with_context=False),
        ),
        (
            f"clip length {context + short_f} (shortest for I3D)",
            n,
            context + short_f,
            logits("real_short", real[:, : context + short_f]),
            fake_logits("fake_short", short_f),
        ),
        (
            f"clip length {context + long_f}",
            n,
            context + long_f,
            logits("real_long", real),
            fake_logits("fake_long", long_f),
        ),
        (
            "resize: half-pixel bilinear, not TF1's",
            n,
            context + f,
            logits("real_halfpixel", real[:, : context + f], half_pixel_logits),
            fake_logits("fake_halfpixel", f, compute=half_pixel_logits),
        ),
        ("first N/2 clips", n // 2, context + f, base_real[: n // 2], base_fake[: n // 2]),
        ("first N/4 clips", n // 4, context + f, base_real[: n // 4], base_fake[: n // 4]),
    ]
    report = dict(workdir=os.path.abspath(FLAGS.workdir), step=step, split=split, rows={})
    for name, clips_used, frames, real_logits, fake in rows:
        if clips_used < 2:
            continue
        report["rows"][name] = dict(
            clips=clips_used, frames=frames, **per_sample(real_logits, fake)
        )
    pooled = metrics.frechet_distance(base_real, base_fake.reshape(n * s, -1))
    report["rows"][f"all {s} samples per clip in one fake set"] = dict(
        clips=n, frames=context + f, mean=pooled, std=0.0, repeats=[pooled]
    )
    other_logits = logits("real_other", other[:, : context + f])
    floor = metrics.frechet_distance(base_real, other_logits)
    report["rows"]["real vs other real clips (no model)"] = dict(
        clips=n, frames=context + f, mean=floor, std=0.0, repeats=[floor]
    )
    files.write_json(os.path.join(FLAGS.out, "choices.json"), report)
    print(f"{FLAGS.workdir} step {step}, {split} split, {n} clips x {s} samples, {context} context")
    print("| FVD computed with | clips | frames | FVD |\n|---|---|---|---|")
    for name, row in report["rows"].items():
        spread = f" ± {row['std']:.1f}" if len(row["repeats"]) > 1 else ""
        print(f"| {name} | {row['clips']} | {row['frames']} | {row['mean']:.1f}{spread} |")


if __name__ == "__main__":
    cli.run(main)
