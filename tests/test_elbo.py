import numpy as np
import pytest

from vrnn_tf import elbo


def test_bernoulli_reconstruction_equals_binary_cross_entropy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 4, 4, 1)).astype("float32")
    target = rng.uniform(size=(2, 3, 4, 4, 1)).astype("float32")
    p = 1 / (1 + np.exp(-logits.astype("float64")))
    expected = -(target * np.log(p) + (1 - target) * np.log(1 - p)).sum(axis=(1, 2, 3, 4))
    np.testing.assert_allclose(
        np.asarray(elbo.reconstruction_term("bernoulli", logits, target)), expected, rtol=1e-5
    )


@pytest.mark.parametrize("likelihood,power", [("l1", 1), ("l2", 2)])
def test_l1_and_l2_sum_over_pixels_and_time(likelihood, power):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 3, 4, 4, 3)).astype("float32")
    target = rng.uniform(size=(2, 3, 4, 4, 3)).astype("float32")
    mean = 1 / (1 + np.exp(-logits))
    expected = (np.abs(mean - target) ** power).sum(axis=(1, 2, 3, 4))
    np.testing.assert_allclose(
        np.asarray(elbo.reconstruction_term(likelihood, logits, target)), expected, rtol=1e-5
    )


def test_negative_elbo_weights_the_summed_kl_by_beta():
    terms = {
        "reconstruction": np.array([10.0, 20.0], "float32"),
        "kl_level_0": np.array([1.0, 2.0], "float32"),
        "kl_level_1": np.array([3.0, 4.0], "float32"),
    }
    np.testing.assert_allclose(np.asarray(elbo.negative_elbo(terms, 0.5)), [12.0, 23.0])
    np.testing.assert_allclose(np.asarray(elbo.negative_elbo(terms)), [14.0, 26.0])


def test_kl_is_summed_per_level_and_video():
    shape = (2, 3, 2, 2, 4)
    zeros, ones = np.zeros(shape, "float32"), np.ones(shape, "float32")
    # KL(N(1, 1) || N(0, 1)) = 0.5 per element
    (kl,) = elbo.kl_per_level([(ones, ones)], [(zeros, ones)])
    np.testing.assert_allclose(np.asarray(kl), [0.5 * 3 * 2 * 2 * 4] * 2)


def test_unknown_likelihood_is_a_clear_error():
    with pytest.raises(ValueError, match="l1, l2, bernoulli"):
        elbo.check_likelihood("gaussian_mixture")
