"""Checks that need the JAX backend, run once per test session in one subprocess (JAX's start-up
compiles every variable initialiser, ~30 s on 2 cores): `python tests/jax_checks.py GIN` prints
one JSON report, read by the `jax_report` fixture (tests/conftest.py) for
tests/test_jax_backend.py and tests/test_sampling.py.
"""

import json
import sys

import gin
import jax
import keras
import numpy as np

import vrnn_tf
from vrnn_tf import flops
from vrnn_tf import sampling


def two_training_steps(model):
    """`model.fit` on numpy input: two batches of two, minimising `model.objective`."""
    objective_calls = []
    objective = model.objective

    def spy(terms, training=True):
        objective_calls.append(training)
        return objective(terms, training)

    model.objective = spy
    model.compile(
        optimizer=vrnn_tf.build_optimizer(
            global_batch_size=2, base_learning_rate=1e-3, peak_learning_rate=1e-3
        ),
        jit_compile=True,
    )
    before = [np.array(w) for w in model.trainable_weights]
    videos = np.random.default_rng(0).uniform(size=(4, 3, 16, 16, 1)).astype("float32")
    history = model.fit(videos, batch_size=2, epochs=1, verbose=0).history
    moved = max(
        float(np.abs(np.array(w) - b).max()) for w, b in zip(model.trainable_weights, before)
    )
    steps = int(model.training_step.numpy())

    # A batch with one NaN pixel: its step must leave weights and Adam's slots alone.
    slots = [v for v in model.optimizer.variables if v is not model.optimizer.iterations]
    weights = [np.array(v) for v in model.trainable_weights + slots]
    poisoned = videos[:2].copy()
    poisoned[1, 2, 3, 4, 0] = np.nan
    # fit again, not train_on_batch: the same input structure reuses the compiled step.
    logs = model.fit(poisoned, batch_size=2, epochs=1, verbose=0).history
    after = [np.array(v) for v in model.trainable_weights + slots]
    return dict(
        history={k: [float(x) for x in v] for k, v in history.items()},
        steps=steps,
        moved=moved,
        objective_calls_in_training=sum(objective_calls),
        nan_step=dict(
            changed_variables=sum(not np.array_equal(a, b) for a, b in zip(after, weights)),
            nonfinite_steps=float(logs["nonfinite_steps"][0]),
            steps=int(model.training_step.numpy()),
            optimizer_iterations=int(model.optimizer.iterations.numpy()),
            all_finite=all(bool(np.isfinite(a).all()) for a in after),
        ),
    )


def sampler_against_step_by_step(model):
    """The compiled Sampler (one lax.scan) against the model's own step method, same noise."""
    context = np.random.default_rng(0).uniform(size=(1, 2, 16, 16, 1)).astype("float32")
    num_future, num_samples = 2, 2
    sampler = sampling.Sampler(model, num_future, num_samples, seed=5)
    fast = np.asarray(sampler(context))
    second = np.asarray(sampler(context))

    # The Sampler's first call splits its key PRNGKey(5) and uses the second half.
    _, key = jax.random.split(jax.random.PRNGKey(5))
    state, _ = model.start_generation(context, num_future, num_samples, seed=0)

    @jax.jit  # one frame at a time, as a Python loop would call it; jitted: eager JAX is slow
    def step(state, noise):
        frame, state = model.generation_step(state, noise)
        state["previous"] = model.encode(frame.astype(model.compute_dtype))
        return frame, state

    frames = []
    for step_key in jax.random.split(key, num_future):
        keys = jax.random.split(step_key, model.hierarchy.num_levels)
        noise = [
            jax.random.normal(k, (num_samples, 1, r, r, z))
            for k, r, z in zip(keys, model.hierarchy.resolutions, model.hierarchy.latent_channels)
        ]
        frame, state = step(state, noise)
        frames.append(np.asarray(frame))
    slow = np.concatenate(frames, axis=1).reshape(1, num_samples, num_future, 16, 16, 1)
    return dict(
        shape=list(fast.shape),
        max_diff=float(np.abs(fast - slow).max()),
        differs=float(np.abs(fast - second).max()),
        in_range=bool(fast.min() >= 0 and fast.max() <= 1),
    )


def adam_l2_against_torch_reference():
    """`AdamL2` on the JAX backend against the numpy re-implementation of torch's Adam."""
    from test_optimizers import fixed_problem
    from test_optimizers import run_keras
    from test_optimizers import torch_adam_reference

    from vrnn_tf.optimizers import AdamL2

    weights, gradients = fixed_problem()
    settings = dict(beta_1=0.5, beta_2=0.9, epsilon=1e-8)
    expected = torch_adam_reference(weights, gradients, 1e-3, weight_decay=1e-4, **settings)
    optimizer = AdamL2(learning_rate=1e-3, l2_weight_decay=1e-4, **settings)
    got = run_keras(optimizer, weights, gradients)
    scale = np.abs(weights).max()
    return dict(max_error_over_scale=float(np.abs(got - expected).max() / scale),
                moved=float(np.abs(got - weights).min()))


def xla_flops(layer, shape):
    """XLA's FLOP count of one layer on a ones input `shape`."""
    x = np.ones(shape, "float32")
    layer.build(shape)
    weights = [v.value for v in layer.weights]

    def apply(weights, x):
        return layer.stateless_call(weights, [], x)[0]

    cost = jax.jit(apply).lower(weights, x).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    return cost["flops"]


def main(gin_text):
    assert keras.backend.backend() == "jax", keras.backend.backend()
    gin.parse_config(gin_text)
    report = dict(
        sampling=sampler_against_step_by_step(vrnn_tf.build_model()),
        training=two_training_steps(vrnn_tf.build_model()),
        adam_l2=adam_l2_against_torch_reference(),
        conv=[
            xla_flops(keras.layers.Conv2D(12, 3, padding="same", use_bias=False), (1, 8, 8, 6)),
            flops.conv_flops(8, 3, 6, 12),
        ],
        up=[
            xla_flops(
                keras.layers.Conv2DTranspose(4, 4, strides=2, padding="same", use_bias=False),
                (1, 8, 8, 6),
            ),
            flops.upsample_flops(8, 16, 6, 4),
        ],
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
