"""The compiled JAX Sampler equals step-by-step generation; XLA agrees with vrnn_tf.flops."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

import vrnn_tf
from conftest import REPO
from conftest import TINY_MODEL_GIN
from vrnn_tf import sampling

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import gin, jax, keras, numpy as np
    import vrnn_tf
    from vrnn_tf import flops, sampling

    gin.parse_config(sys.argv[1])
    model = vrnn_tf.build_model()
    context = np.random.default_rng(0).uniform(size=(1, 2, 16, 16, 1)).astype("float32")
    num_future, num_samples = 2, 2
    sampler = sampling.Sampler(model, num_future, num_samples, seed=5)
    fast = np.asarray(sampler(context))
    second = np.asarray(sampler(context))

    # The same noise, step by step in Python through the model's own methods.
    _, key = jax.random.split(jax.random.PRNGKey(5))
    state, _ = model.start_generation(context, num_future, num_samples, seed=0)
    frames = []
    for step_key in jax.random.split(key, num_future):
        keys = jax.random.split(step_key, model.hierarchy.num_levels)
        noise = [
            jax.random.normal(k, (2, 1, r, r, z))
            for k, r, z in zip(keys, model.hierarchy.resolutions, model.hierarchy.latent_channels)
        ]
        frame, state = model.generation_step(state, noise)
        state["previous"] = model.encode(frame.astype(model.compute_dtype))
        frames.append(np.asarray(frame))
    slow = np.concatenate(frames, axis=1).reshape(1, num_samples, num_future, 16, 16, 1)

    # XLA's count of single convolutions against the analytic one.
    def xla_flops(layer, shape):
        x = np.ones(shape, "float32")
        layer.build(shape)
        weights = [v.value for v in layer.weights]
        def f(weights, x):
            return layer.stateless_call(weights, [], x)[0]
        cost = jax.jit(f).lower(weights, x).compile().cost_analysis()
        cost = cost[0] if isinstance(cost, (list, tuple)) else cost
        return cost["flops"]
    conv = xla_flops(keras.layers.Conv2D(12, 3, padding="same", use_bias=False), (1, 8, 8, 6))
    up = xla_flops(keras.layers.Conv2DTranspose(4, 4, strides=2, padding="same", use_bias=False), (1, 8, 8, 6))
    print(json.dumps(dict(
        shape=list(fast.shape), max_diff=float(np.abs(fast - slow).max()),
        differs=float(np.abs(fast - second).max()), in_range=bool(fast.min() >= 0 and fast.max() <= 1),
        conv=[conv, flops.conv_flops(8, 3, 6, 12)], up=[up, flops.upsample_flops(8, 16, 6, 4)],
    )))
    """
)


def test_sampler_equals_step_by_step_generation_and_xla_counts_match():
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", PYTHONPATH=REPO)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, TINY_MODEL_GIN],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["shape"] == [1, 2, 2, 16, 16, 1]
    assert report["in_range"]
    # One jitted lax.scan against eager steps: float32 reassociation only.
    assert report["max_diff"] < 1e-5
    assert report["differs"] > 1e-3  # each call draws new noise
    # XLA counts a multiply-add as 2 FLOPs over in-bounds taps, as vrnn_tf.flops does.
    assert report["conv"][0] == report["conv"][1]
    assert report["up"][0] == report["up"][1]


def test_tensorflow_sampler_shapes_range_and_fresh_noise(tiny_config):
    model = vrnn_tf.build_model()
    context = np.random.default_rng(0).uniform(size=(1, 2, 16, 16, 1)).astype("float32")
    sampler = sampling.Sampler(model, num_future=2, num_samples=2, seed=3)
    first, second = np.asarray(sampler(context)), np.asarray(sampler(context))
    assert first.shape == (1, 2, 2, 16, 16, 1)
    assert 0 <= first.min() and first.max() <= 1
    assert np.abs(first - second).max() > 1e-3
