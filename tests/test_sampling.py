"""The compiled JAX Sampler equals step-by-step generation; XLA agrees with vrnn_tf.flops."""

import numpy as np

import vrnn_tf
from vrnn_tf import sampling


def test_sampler_equals_step_by_step_generation_and_xla_counts_match(jax_report):
    # tests/jax_checks.py, on the JAX backend.
    report = jax_report["sampling"]
    assert report["shape"] == [1, 2, 2, 16, 16, 1]
    assert report["in_range"]
    # One jitted lax.scan against one jitted step per frame: float32 reassociation only.
    assert report["max_diff"] < 1e-5
    assert report["differs"] > 1e-3  # each call draws new noise
    # XLA counts a multiply-add as 2 FLOPs over in-bounds taps, as vrnn_tf.flops does.
    assert jax_report["conv"][0] == jax_report["conv"][1]
    assert jax_report["up"][0] == jax_report["up"][1]


def test_tensorflow_sampler_shapes_range_and_fresh_noise(tiny_config):
    model = vrnn_tf.build_model()
    context = np.random.default_rng(0).uniform(size=(1, 2, 16, 16, 1)).astype("float32")
    sampler = sampling.Sampler(model, num_future=2, num_samples=2, seed=3)
    first, second = np.asarray(sampler(context)), np.asarray(sampler(context))
    assert first.shape == (1, 2, 2, 16, 16, 1)
    assert 0 <= first.min() and first.max() <= 1
    assert np.abs(first - second).max() > 1e-3
