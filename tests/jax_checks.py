"""Checks that need the JAX backend, run once per test session in one subprocess (JAX's start-up
compiles every variable initialiser, ~30 s on 2 cores): `python tests/jax_checks.py GIN EVAL_GIN
SVG_GIN DIR` prints one JSON report, read by the `jax_report` fixture (tests/conftest.py) for
tests/test_jax_backend.py and tests/test_sampling.py; the evaluation's outputs go into DIR.
"""

import glob
import json
import os
import sys

import gin
import jax
import jax.numpy as jnp
import keras
import numpy as np

import vrnn_tf
from vrnn_tf import sampling
from vrnn_tf.analysis import flops
from vrnn_tf.backends import distribute
from vrnn_tf.evaluation import model_evaluation
from vrnn_tf.evaluation import sample_scoring
from vrnn_tf.training import checkpoints

# Two batches of two: `two_training_steps` and `data_parallel_steps` train on them.
TRAINING_VIDEOS = np.random.default_rng(0).uniform(size=(4, 3, 16, 16, 1)).astype("float32")


def compile_for_two_steps(model):
    model.compile(
        optimizer=vrnn_tf.build_optimizer(
            global_batch_size=2, base_learning_rate=1e-3, peak_learning_rate=1e-3
        ),
        jit_compile=True,
    )


def two_training_steps(model):
    """`model.fit` on numpy input: two batches of two, minimising `model.objective`.

    Returns:
        (the report, the weights after the two steps).
    """
    objective_calls = []
    objective = model.objective

    def spy(terms, training=True):
        objective_calls.append(training)
        return objective(terms, training)

    model.objective = spy
    compile_for_two_steps(model)
    before = [np.array(w) for w in model.trainable_weights]
    videos = TRAINING_VIDEOS
    # In order: data_parallel_steps trains on the same two batches.
    history = model.fit(videos, batch_size=2, epochs=1, verbose=0, shuffle=False).history
    trained = [np.array(w) for w in model.get_weights()]
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
    report = dict(
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
    return report, trained


def data_parallel_steps(initial, trained):
    """`two_training_steps`'s two steps from the same weights with `--strategy=mirrored`'s
    `DataParallel` over the two host devices (one video each): the one-device update.

    Args:
        initial, trained: the one-device model's weights before and after the two steps.
    """
    distribution = distribute.make_strategy("mirrored")
    try:
        model = vrnn_tf.build_model()
        model.set_weights(initial)
        compile_for_two_steps(model)
        model.fit(TRAINING_VIDEOS, batch_size=2, epochs=1, verbose=0, shuffle=False)
        weights = [np.array(w) for w in model.get_weights()]
    finally:
        keras.distribution.set_distribution(None)
    return dict(
        devices=distribute.num_replicas(distribution),
        moved=max(float(np.abs(a - b).max()) for a, b in zip(trained, initial)),
        difference=max(float(np.abs(a - b).max()) for a, b in zip(weights, trained)),
        # Entries further than 1e-5 from the one-device update, over all entries.
        mismatched=sum(int((np.abs(a - b) > 1e-5).sum()) for a, b in zip(weights, trained))
        / sum(a.size for a in trained),
    )


def sampler_against_step_by_step(model):
    """The compiled Sampler (one lax.scan) against a Python loop over the model's step, with
    the noise drawn here by the documented keys (`distributions.draw_step_noise`). The shapes
    of `evaluation`'s calls: it finds the program in the compilation cache."""
    context = np.random.default_rng(0).uniform(size=(2, 2, 32, 32, 1)).astype("float32")
    num_future, num_samples, seed = 7, 2, 5
    sampler = sampling.Sampler(model, num_future, num_samples)
    fast = np.asarray(sampler(context, seed=seed))
    again = np.asarray(sampler(context, seed=seed))
    other = np.asarray(sampler(context))  # a seed of its own

    # Jitted: eager JAX compiles every op on its own.
    state = jax.jit(model.start_generation, static_argnums=1)(context, num_samples)
    step = jax.jit(model.generation_step)  # one frame at a time
    levels = list(zip(model.hierarchy.resolutions, model.hierarchy.latent_channels))
    frames = []
    for t in range(num_future):
        keys = [jnp.array([seed, t * len(levels) + i + 1], jnp.uint32) for i in range(len(levels))]
        rows = len(context) * num_samples
        noise = [jax.random.normal(key, (rows, 1, r, r, z)) for key, (r, z) in zip(keys, levels)]
        frame, state = step(state, noise)
        frames.append(np.asarray(frame))
    slow = np.concatenate(frames, axis=1).reshape(fast.shape)
    return dict(
        shape=list(fast.shape),
        max_diff=float(np.abs(fast - slow).max()),
        same_seed_diff=float(np.abs(fast - again).max()),
        differs=float(np.abs(fast - other).max()),
        in_range=bool(fast.min() >= 0 and fast.max() <= 1),
    )


def action_model(model):
    """An action model (`build_model.action_dim = 2`) on JAX: a jitted training step on dict
    batches, and the compiled Sampler following the actions within the horizon only."""
    model.compile(
        optimizer=vrnn_tf.build_optimizer(global_batch_size=2, base_learning_rate=1e-3),
        jit_compile=True,
    )
    rng = np.random.default_rng(0)
    batch = {
        "video": rng.uniform(size=(2, 3, 16, 16, 1)).astype("float32"),
        "actions": rng.uniform(-1, 1, size=(2, 2, 2)).astype("float32"),
    }
    logs = model.fit(batch, batch_size=2, epochs=1, verbose=0).history
    context = batch["video"][:, :2]
    # Steps 0..2 read actions 1..3 (context_frames - 1 + t); actions 4 and 5 lie beyond.
    actions = rng.uniform(-1, 1, size=(2, 6, 2)).astype("float32")
    sampler = sampling.Sampler(model, 3, 2)
    reference = np.asarray(sampler(context, 1, actions))
    later, within = actions.copy(), actions.copy()
    later[:, 4:] += 1.0  # after the horizon
    within[:, 2] += 1.0  # read by the second predicted frame
    moved = np.abs(np.asarray(sampler(context, 1, within)) - reference).max(axis=(0, 1, 3, 4, 5))
    return dict(
        loss=[float(x) for x in logs["loss"]],
        after_horizon_diff=float(np.abs(np.asarray(sampler(context, 1, later)) - reference).max()),
        within_horizon_moved=[float(m) for m in moved],
    )


def evaluation(model, folder):
    """`vrnn_tf.evaluate` of a checkpoint of `model` (gin's config) on SM-MNIST: 3 sequences in
    one chunk, the futures drawn 2 contexts x 2 samples per call (the second call padded); then
    `vrnn_tf.score` of the clips and samples it drew."""
    workdir = os.path.join(folder, "run")
    checkpoints.save(model, workdir, 3)
    with open(os.path.join(workdir, "config.gin"), "w") as f:
        f.write(gin.config_str())
    results = model_evaluation.evaluate(
        workdir,
        num_samples=2,
        num_sequences=3,
        future_frames=7,
        fvd_repeats=1,
        chunk_size=3,
        futures_per_call=4,
    )
    out = os.path.join(workdir, "eval_test")
    # Its clips and samples (all of them: 3 sequences x 2 samples fit in its GIF arrays),
    # scored by `vrnn_tf.score` on JAX.
    (part,) = [dict(np.load(p)) for p in glob.glob(f"{out}/partial/*.npz")]
    np.save(os.path.join(folder, "real.npy"), part["gif_clips"])
    np.save(os.path.join(folder, "fake.npy"), part["gif_samples"])
    scored = sample_scoring.score(
        os.path.join(folder, "real.npy"),
        os.path.join(folder, "fake.npy"),
        os.path.join(folder, "scored"),
        context_frames=2,
        fvd_repeats=1,
        chunk_size=3,
    )
    return dict(out=out, results=results, scored=scored)


def adam_l2_against_torch_reference():
    """`AdamL2` on the JAX backend against the numpy re-implementation of torch's Adam."""
    from vrnn_tf.optimizers import AdamL2

    from test_optimizers import fixed_problem
    from test_optimizers import run_keras
    from test_optimizers import torch_adam_reference

    weights, gradients = fixed_problem()
    settings = dict(beta_1=0.5, beta_2=0.9, epsilon=1e-8)
    expected = torch_adam_reference(weights, gradients, 1e-3, weight_decay=1e-4, **settings)
    optimizer = AdamL2(learning_rate=1e-3, l2_weight_decay=1e-4, **settings)
    got = run_keras(optimizer, weights, gradients)
    scale = np.abs(weights).max()
    return dict(
        max_error_over_scale=float(np.abs(got - expected).max() / scale),
        moved=float(np.abs(got - weights).min()),
    )


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


def svg_lp_steps(svg_gin):
    """SVG-LP on JAX: two jitted training steps (BatchNorm's moving statistics are state the
    stateless step must carry back), then the compiled Sampler."""
    gin.clear_config()
    gin.parse_config(svg_gin)
    model = vrnn_tf.build_model()
    compile_for_two_steps(model)
    moving = [v for v in model.non_trainable_variables if "moving_mean" in v.path]
    before = [np.array(v) for v in model.trainable_weights + moving]
    history = model.fit(TRAINING_VIDEOS, batch_size=2, epochs=1, verbose=0).history
    after = [np.array(v) for v in model.trainable_weights + moving]
    changed = [not np.array_equal(a, b) for a, b in zip(after, before)]
    context = TRAINING_VIDEOS[:2, :2]
    sampler = sampling.Sampler(model, 3, 2)
    futures, again = (np.asarray(sampler(context, seed=4)) for _ in range(2))
    gin.clear_config()
    return dict(
        loss=[float(v) for v in history["loss"]],
        steps=int(model.training_step.numpy()),
        trainable_moved=sum(changed[: len(model.trainable_weights)]),
        trainable=len(model.trainable_weights),
        moving_means_moved=sum(changed[len(model.trainable_weights) :]),
        moving_means=len(moving),
        sample_shape=list(futures.shape),
        same_seed_diff=float(np.abs(futures - again).max()),
        in_range=bool(futures.min() >= 0 and futures.max() <= 1),
    )


def main(gin_text, eval_gin, svg_gin, folder):
    assert keras.backend.backend() == "jax", keras.backend.backend()
    gin.parse_config(gin_text)
    model = vrnn_tf.build_model()
    initial = [np.array(w) for w in model.get_weights()]
    training, trained = two_training_steps(model)
    report = dict(training=training, data_parallel=data_parallel_steps(initial, trained))
    gin.parse_config("build_model.action_dim = 2")
    report["actions"] = action_model(vrnn_tf.build_model())
    report["svg_lp"] = svg_lp_steps(svg_gin)
    gin.parse_config(eval_gin)  # 32x32 frames: LPIPS needs 31x31
    model = vrnn_tf.build_model()
    report.update(
        sampling=sampler_against_step_by_step(model),
        evaluation=evaluation(model, folder),
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
        tensorflow_imported=sorted(
            m
            for m, module in sys.modules.items()
            if m.split(".")[0] == "tensorflow" and module is not None  # None: marked absent
        ),
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:])
