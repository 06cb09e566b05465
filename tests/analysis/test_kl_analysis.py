"""KL per latent channel (paper Fig. 4) against numerical integration and the ELBO's KL terms."""

import math

import numpy as np
import pytest
from scipy import integrate

import vrnn_tf
from vrnn_tf.analysis import kl_analysis


def kl_by_quadrature(q_mean, q_scale, p_mean, p_scale):
    """KL(q || p) of two 1-D Gaussians as the integral of q log(q / p)."""
    log_normalizer = 0.5 * math.log(2 * math.pi)

    def log_density(x, mean, scale):
        return -0.5 * ((x - mean) / scale) ** 2 - math.log(scale) - log_normalizer

    def integrand(x):
        log_q = log_density(x, q_mean, q_scale)
        return math.exp(log_q) * (log_q - log_density(x, p_mean, p_scale))

    lower, upper = q_mean - 12 * q_scale, q_mean + 12 * q_scale
    return integrate.quad(integrand, lower, upper)[0]


def random_gaussians(rng, shape):
    return rng.normal(size=shape).astype("float32"), rng.uniform(0.3, 2.0, shape).astype("float32")


def test_channel_kl_averages_the_integrated_kl_over_time_and_positions():
    rng = np.random.default_rng(0)
    shapes = [(2, 3, 1, 1, 2), (2, 3, 2, 2, 3)]  # [B, T, R, R, Z] per level
    posterior = [random_gaussians(rng, shape) for shape in shapes]
    prior = [random_gaussians(rng, shape) for shape in shapes]

    per_channel = kl_analysis.channel_kl(posterior, prior)

    for (q_mean, q_scale), (p_mean, p_scale), got, shape in zip(
        posterior, prior, per_channel, shapes
    ):
        elementwise = np.vectorize(kl_by_quadrature)(q_mean, q_scale, p_mean, p_scale)
        expected = elementwise.mean(axis=(1, 2, 3))  # [B, Z]
        assert np.asarray(got).shape == (shape[0], shape[-1])
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-4, atol=1e-6)


def test_mean_channel_kl_adds_up_to_the_elbo_kl_of_each_level(tiny_config):
    model = vrnn_tf.build_model()
    videos = np.random.default_rng(1).uniform(size=(3, 4, 16, 16, 1)).astype("float32")
    batches = [videos[:2], videos[2:]]
    noise_state = np.asarray(model.noise_seed.state.value)

    mean_kl, num_videos = kl_analysis.mean_channel_kl(model, batches)

    # The same posterior samples: replay the latent noise from the same state.
    model.noise_seed.state.assign(noise_state)
    terms = [model(batch, training=True) for batch in batches]
    assert num_videos == 3
    future_steps = videos.shape[1] - model.context_frames
    for level, (kl, resolution) in enumerate(zip(mean_kl, model.hierarchy.resolutions)):
        assert kl.shape == (model.hierarchy.latent_channels[level],)
        elbo_kl = np.concatenate([np.asarray(t[f"kl_level_{level}"]) for t in terms]).mean()
        np.testing.assert_allclose(kl.sum() * resolution**2 * future_steps, elbo_kl, rtol=1e-4)

    with pytest.raises(ValueError, match="dataset is empty"):
        kl_analysis.mean_channel_kl(model, [])

    summary = kl_analysis.summary(model, mean_kl)
    assert [level["resolution"] for level in summary["levels"]] == [1, 4]
    channels = [level["channels"] for level in summary["levels"]]
    assert channels == list(model.hierarchy.latent_channels)
    assert summary["levels"][1]["mean_kl_per_channel"] == pytest.approx(list(mean_kl[1]))


def test_activity_counts_compare_strictly_with_the_paper_thresholds():
    kl = [np.array([0.0, 0.005, 0.01, 0.0101, 0.15, 0.2, 3.0]), np.array([1e-6, 0.151])]
    assert kl_analysis.activity_counts(kl) == [
        dict(channels=7, active=4, max_active=2),
        dict(channels=2, active=1, max_active=1),
    ]
    assert kl_analysis.activity_counts(kl, active_kl=0.1, max_active_kl=1.0)[0] == dict(
        channels=7, active=3, max_active=1
    )


def test_figure_has_one_panel_per_level():
    one = kl_analysis.figure_image([np.array([0.2, 0.001])], [1])
    two = kl_analysis.figure_image([np.array([0.2, 0.001]), np.full(64, 0.05)], [1, 8])
    assert one.dtype == np.uint8 and one.ndim == 3 and one.shape[-1] == 3
    assert two.shape[1] == one.shape[1] and two.shape[0] > 1.8 * one.shape[0]
    assert one.std() > 0
