"""Fréchet distance of activation sets, and the Fréchet Video Distance (FVD).

FVD (Unterthiner et al. 2018) fits a Gaussian to the I3D logits of each set
of videos and returns the Fréchet (2-Wasserstein) distance of the two fits:

    |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2))

with unbiased covariances (divided by N - 1), in float64, as tensorflow-gan's
`frechet_classifier_distance_from_activations` which the reference FVD code
calls. tr((S_a S_b)^(1/2)) = tr((A S_b A)^(1/2)) with A = S_a^(1/2): both
matrices are symmetric positive semi-definite, so it is the sum of the
square roots of the eigenvalues of A S_b A (no general matrix square root).
"""

import numpy as np

from vrnn_tf.metrics.i3d import i3d_logits


def _psd_sqrt(matrix):
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(a, b):
    """Fréchet distance of Gaussian fits to two activation matrices.

    Args:
        a: float `[N_a, D]`, N_a >= 2.
        b: float `[N_b, D]`, N_b >= 2.

    Returns:
        float.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    for name, x in (("a", a), ("b", b)):
        if x.ndim != 2 or len(x) < 2:
            raise ValueError(
                f"frechet_distance: {name} must be [N, D] with N >= 2; got {list(x.shape)}."
            )
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"frechet_distance: dimensions differ: {a.shape[1]} vs {b.shape[1]}.")
    cov_a = np.cov(a, rowvar=False)
    cov_b = np.cov(b, rowvar=False)
    root_a = _psd_sqrt(cov_a)
    product = root_a @ cov_b @ root_a
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((product + product.T) / 2), 0.0, None)))
    mean_term = np.sum(np.square(a.mean(axis=0) - b.mean(axis=0)))
    return float(mean_term + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt)


def fvd(real_videos, fake_videos, weights_path=None, batch_size=16):
    """Fréchet Video Distance of two sets of videos (any sizes >= 2).

    Args:
        real_videos: float `[N, T, H, W, 3]` in [0, 1] (or 1 channel), T >= 9.
        fake_videos: float `[M, T', H', W', 3]` in [0, 1].
        weights_path: str or None. The I3D weights (see `vrnn_tf.metrics.i3d`).
        batch_size: int. Videos per I3D call: memory is bounded by it, not by N.

    Returns:
        float.
    """
    real = i3d_logits(real_videos, weights_path, batch_size)
    fake = i3d_logits(fake_videos, weights_path, batch_size)
    return frechet_distance(real, fake)
