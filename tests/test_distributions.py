import numpy as np
from scipy import stats

from vrnn_tf import distributions


def test_analytic_kl_matches_monte_carlo():
    rng = np.random.default_rng(0)
    q_mean, p_mean = rng.normal(size=5), rng.normal(size=5)
    q_scale, p_scale = rng.uniform(0.3, 2.0, size=5), rng.uniform(0.3, 2.0, size=5)
    analytic = np.asarray(
        distributions.gaussian_kl(
            *(a.astype("float32") for a in (q_mean, q_scale, p_mean, p_scale))
        )
    )
    samples = q_mean + q_scale * rng.normal(size=(400_000, 5))
    monte_carlo = (
        stats.norm.logpdf(samples, q_mean, q_scale) - stats.norm.logpdf(samples, p_mean, p_scale)
    ).mean(0)
    np.testing.assert_allclose(analytic, monte_carlo, atol=0.02)


def test_kl_of_identical_gaussians_is_zero():
    mean = np.array([0.3, -1.0], "float32")
    scale = np.array([0.5, 2.0], "float32")
    np.testing.assert_allclose(
        np.asarray(distributions.gaussian_kl(mean, scale, mean, scale)), 0.0, atol=1e-6
    )


def test_parameters_split_mean_and_softplus_scale():
    raw = np.array([[1.0, -2.0, 0.0, 3.0]], "float32")
    mean, scale = distributions.gaussian_parameters(raw)
    np.testing.assert_allclose(np.asarray(mean), [[1.0, -2.0]])
    np.testing.assert_allclose(
        np.asarray(scale), np.log1p(np.exp([[0.0, 3.0]])) + distributions.MIN_SCALE, rtol=1e-6
    )


def test_global_batch_noise_slices_equal_the_full_draw():
    import keras

    full = distributions.draw_standard_normal([(4, 3)], keras.random.SeedGenerator(7))[0]
    halves = [
        distributions.draw_standard_normal(
            [(2, 3)], keras.random.SeedGenerator(7), global_batch_size=4, batch_offset=offset
        )[0]
        for offset in (0, 2)
    ]
    np.testing.assert_array_equal(np.concatenate([np.asarray(h) for h in halves]), np.asarray(full))
    assert not np.allclose(np.asarray(halves[0]), np.asarray(halves[1]))


def test_int_seed_gives_different_noise_per_tensor():
    a, b = distributions.draw_standard_normal([(3, 2), (3, 2)], seed=5)
    assert not np.allclose(np.asarray(a), np.asarray(b))
    again = distributions.draw_standard_normal([(3, 2)], seed=5)[0]
    np.testing.assert_array_equal(np.asarray(a), np.asarray(again))


def test_a_tensor_seed_draws_what_the_same_int_draws():
    import tensorflow as tf

    shapes = [(2, 3, 1, 1, 2), (2, 3, 4, 4, 3)]
    by_int = distributions.draw_standard_normal(shapes, 5)
    by_tensor = tf.function(lambda s: distributions.draw_standard_normal(shapes, s))(tf.constant(5))
    for a, b in zip(by_int, by_tensor):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # Each tensor of a draw has its own noise; another seed, other noise.
    assert not np.allclose(np.asarray(by_int[0]).ravel(), np.asarray(by_int[1]).ravel()[:12])
    other = distributions.draw_standard_normal(shapes, tf.constant(6))
    assert not np.allclose(np.asarray(by_int[1]), np.asarray(other[1]))
