"""Which latent channels carry information: the paper's Fig. 4 analysis (§5.1.2).

For every latent channel of every level, the KL between posterior and prior
on held-out videos, *normalized* to one latent unit at one step: averaged
over the videos, the predicted time steps and the R x R spatial positions of
the level. Normalizing makes channels of a 1x1 and a 32x32 level comparable
and puts the paper's thresholds on the scale they come from (BIVA, the
paper's [24], counts a unit active when its KL exceeds 0.01 nats): a channel
is *active* above `ACTIVE_KL` = 0.01 and *maximally active* above
`MAX_ACTIVE_KL` = 0.15. Summed instead over positions and steps, a channel's
KL is its mean value times `R * R * T`; summed over channels, that is the
level's term `kl_level_l` of the ELBO.
"""

import keras
import numpy as np
from keras import ops

from vrnn_tf import batch_layout
from vrnn_tf import distributions

ACTIVE_KL = 0.01
MAX_ACTIVE_KL = 0.15


def channel_kl(posterior, prior):
    """KL of each latent channel per video, averaged over time and positions.

    Args:
        posterior, prior: lists per level of `(mean, scale)`, each float
            `[B, T, R, R, Z]` or `[B, T, Z]` (the model's `latent_distributions`).

    Returns:
        list per level of float32 `[B, Z]`.
    """
    kls = [
        distributions.gaussian_kl(q_mean, q_scale, p_mean, p_scale)
        for (q_mean, q_scale), (p_mean, p_scale) in zip(posterior, prior)
    ]
    return [ops.mean(kl, axis=tuple(range(1, len(kl.shape) - 1))) for kl in kls]


def mean_channel_kl(model, batches):
    """Average normalized KL per latent channel over held-out videos.

    Args:
        model: a built `VideoPredictionModel`.
        batches: finite iterable of float `[B, T, H, W, C]` videos (a batched
            `tf.data.Dataset` or a list of arrays), T > context frames; or of dicts of
            videos and actions for an action model (`vrnn_tf.data.inputs`).

    Returns:
        `(mean_kl, num_videos)`: mean_kl a list per level of float64 numpy `[Z_l]`.

    Raises:
        ValueError: if `batches` holds no video.
    """
    totals, num_videos = None, 0
    for batch in batches:
        batch = keras.tree.map_structure(np.asarray, batch)
        per_video = channel_kl(*model.latent_distributions(batch))
        sums = [np.asarray(ops.convert_to_numpy(kl), np.float64).sum(axis=0) for kl in per_video]
        totals = sums if totals is None else [t + s for t, s in zip(totals, sums)]
        num_videos += len(batch_layout.split_batch(batch)[0])
    if not num_videos:
        raise ValueError("No held-out videos to analyse: the dataset is empty.")
    return [total / num_videos for total in totals], num_videos


def activity_counts(mean_kl, active_kl=ACTIVE_KL, max_active_kl=MAX_ACTIVE_KL):
    """Active (KL > active_kl) and maximally active (KL > max_active_kl) channels per level.

    Args:
        mean_kl: list per level of `[Z_l]` (from `mean_channel_kl`).

    Returns:
        list per level of dict(channels, active, max_active).
    """
    return [
        dict(
            channels=int(np.size(kl)),
            active=int(np.sum(np.asarray(kl) > active_kl)),
            max_active=int(np.sum(np.asarray(kl) > max_active_kl)),
        )
        for kl in mean_kl
    ]


def summary(model, mean_kl):
    """JSON-ready description of the analysis: per level its resolution, counts and KLs."""
    levels = []
    for level, (kl, counts) in enumerate(zip(mean_kl, activity_counts(mean_kl))):
        levels.append(
            dict(
                level=level,
                resolution=int(model.latent_resolutions[level]),
                **counts,
                mean_kl_per_channel=[float(v) for v in kl],
            )
        )
    return dict(active_kl=ACTIVE_KL, max_active_kl=MAX_ACTIVE_KL, levels=levels)


def figure_image(mean_kl, resolutions, title=None):
    """Bar charts of the channels' KL, one panel per level, as a uint8 RGB image.

    Channels are sorted by KL (largest first); dashed lines mark the two thresholds.

    Returns:
        uint8 `[height, width, 3]`.
    """
    # The object API with an Agg canvas: no pyplot state, no display needed.
    import matplotlib.ticker
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 2.2 * len(mean_kl)), dpi=100)
    canvas = FigureCanvasAgg(figure)
    axes = figure.subplots(len(mean_kl), 1, squeeze=False)
    for level, (kl, resolution, axis) in enumerate(zip(mean_kl, resolutions, axes[:, 0])):
        kl = np.sort(np.asarray(kl))[::-1]
        axis.bar(np.arange(len(kl)), kl, width=0.9 if len(kl) <= 64 else 1.0, color="tab:blue")
        for threshold, color, what in (
            (ACTIVE_KL, "tab:orange", "active"),
            (MAX_ACTIVE_KL, "tab:red", "maximally active"),
        ):
            axis.axhline(
                threshold, color=color, linestyle="--", linewidth=1, label=f"{what} > {threshold}"
            )
        counts = activity_counts([kl])[0]
        axis.set_title(
            f"level {level} ({resolution}x{resolution}): {counts['active']}/{counts['channels']} "
            f"active, {counts['max_active']} maximally active",
            fontsize=9,
        )
        axis.set_ylabel("mean KL (nats)", fontsize=8)
        # Log scale: the thresholds and unused channels (KL ~ 1e-6) both show.
        positive = kl[kl > 0]
        bottom = max(min(1e-3, 0.5 * positive.min()) if positive.size else 1e-3, 1e-8)
        axis.set_yscale("log")
        axis.set_ylim(bottom, max(1.0, 2.0 * float(kl.max())))
        axis.set_xlim(-0.5, len(kl) - 0.5)
        axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes[0, 0].legend(loc="upper right", fontsize=7)
    axes[-1, 0].set_xlabel("latent channel, sorted by KL", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
