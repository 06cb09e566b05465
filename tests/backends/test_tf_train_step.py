"""The TF train step under MirroredStrategy: the single-device update, the NaN guard's
cross-replica branch, mixed precision (graph mode on two logical CPUs, tests/conftest.py)."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

import vrnn_tf
from vrnn_tf import distributions
from vrnn_tf import elbo
from vrnn_tf.backends import distribute

from conftest import TINY_MODEL_GIN


def train_one_step(strategy, weights, videos):
    with strategy.scope():
        model = vrnn_tf.build_model()
        model.set_weights(weights)
        # Eagerly: the step's arithmetic is the same, without minutes of tracing.
        # SGD, not Adam: Adam's first step is about lr x sign(gradient), so a weight whose
        # gradient is near zero moves by a different amount when the two replicas' sums
        # differ in the last bit; SGD keeps a rounding difference a rounding difference.
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), run_eagerly=True)
    dataset = tf.data.Dataset.from_tensor_slices(videos).batch(len(videos), drop_remainder=True)
    logs = model.fit(dataset, epochs=1, verbose=0).history
    return model, logs


def gradient_norm(model, videos, batch_offset=0, global_batch_size=None):
    """Global L2 norm of the gradient of the mean loss over `videos`, from the model's
    fresh noise."""
    state = np.asarray(model.noise_seed.state.value)
    noise = model.draw_noise(len(videos), videos.shape[1], batch_offset, global_batch_size)
    with tf.GradientTape() as tape:
        terms = model(videos, training=True, noise=noise)
        mean_loss = tf.reduce_mean(elbo.negative_elbo(terms, model.current_beta()))
    gradients = tape.gradient(mean_loss, model.trainable_variables)
    model.noise_seed.state.assign(state)  # the next call draws the same noise
    return np.sqrt(sum(np.sum(np.square(g.numpy().astype("float64"))) for g in gradients))


def test_two_replicas_apply_the_single_device_update(tiny_config):
    assert len(tf.config.list_logical_devices("CPU")) >= 2
    videos = np.random.default_rng(0).uniform(size=(4, 4, 16, 16, 1)).astype("float32")
    reference = vrnn_tf.build_model()
    initial = reference.get_weights()

    single, single_logs = train_one_step(tf.distribute.get_strategy(), initial, videos)
    mirrored, mirrored_logs = train_one_step(distribute.make_strategy("mirrored"), initial, videos)
    assert mirrored.distribute_strategy.num_replicas_in_sync == 2
    moved = 0.0
    for before, a, b in zip(initial, single.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(a, b, atol=2e-5, rtol=1e-4)
        moved = max(moved, float(np.abs(a - before).max()))
    assert moved > 1e-4  # the step did change the weights
    np.testing.assert_allclose(single_logs["loss"], mirrored_logs["loss"], rtol=1e-4)
    np.testing.assert_allclose(
        single_logs["kl_level_1"], mirrored_logs["kl_level_1"], rtol=1e-3, atol=1e-6
    )

    # The logged gradient norm: of the whole batch's mean loss on one device;
    # the mean over replicas of each replica's own rows (and noise) on two.
    np.testing.assert_allclose(
        single_logs["gradient_norm"], gradient_norm(reference, videos), rtol=1e-4
    )
    per_replica = [gradient_norm(reference, videos[i : i + 2], i, 4) for i in (0, 2)]
    np.testing.assert_allclose(mirrored_logs["gradient_norm"], np.mean(per_replica), rtol=1e-4)


def test_replicas_draw_different_noise():
    strategy = distribute.make_strategy("mirrored")
    with strategy.scope():
        seed = keras.random.SeedGenerator(3)

    def draw():
        context = tf.distribute.get_replica_context()
        return distributions.draw_standard_normal(
            [(2, 5)],
            seed,
            global_batch_size=2 * context.num_replicas_in_sync,
            batch_offset=2 * context.replica_id_in_sync_group,
        )[0]

    per_replica = strategy.experimental_local_results(strategy.run(tf.function(draw)))
    assert len(per_replica) == 2
    assert not np.allclose(per_replica[0].numpy(), per_replica[1].numpy())


def test_the_step_minimises_the_models_objective(tiny_config):
    # One place assembles the loss (HierarchicalVRNN.objective); the TF step only owns the
    # gradient. The JAX step's use of it: tests/test_jax_backend.py.
    model = vrnn_tf.build_model()
    model.compile(optimizer=vrnn_tf.build_optimizer(global_batch_size=2), run_eagerly=True)
    losses = []
    objective = model.objective

    def spy(terms, training=True):
        loss = objective(terms, training)
        losses.append(np.asarray(loss))
        return loss

    model.objective = spy
    videos = np.random.default_rng(0).uniform(size=(2, 4, 16, 16, 1)).astype("float32")
    logs = model.train_on_batch(videos, return_dict=True)
    assert len(losses) == 1 and losses[0].shape == (2,)
    np.testing.assert_allclose(logs["loss"], losses[0].mean(), rtol=1e-6)
    assert int(model.training_step.numpy()) == 1


def replica_values(variables):
    """Every replica's copy of each variable, as numpy: `[[replica 0, replica 1], ...]`."""
    return [[np.array(c) for c in v.value.values] for v in variables]


@pytest.fixture(scope="module")
def mirrored_bfloat16_steps():
    """Two graph-mode steps under MirroredStrategy on two logical CPUs, mixed_bfloat16: a
    finite batch, then one whose second replica's rows hold a NaN. Records the dtypes the
    traced step saw.

    The step runs outside XLA under a mirrored strategy whatever `train.jit_compile` says
    (XLA compiles only each replica's pass, `distribute.plan_xla`), where the strategy
    synchronises through `merge_call`, on GPUs as on CPUs: the NaN guard's cross-replica
    branch. (XLA per replica in mixed_bfloat16: tools/strategy_matrix.py; without it the
    fixture takes 60 s less.)
    """
    seen = {}
    draw, terms_of = distributions.draw_standard_normal, elbo.elbo_terms

    def draw_spy(*args, **kwargs):
        noise = draw(*args, **kwargs)
        seen["noise"] = {n.dtype.name for n in noise}
        return noise

    def terms_spy(likelihood, logits, targets, *args):
        seen["targets"] = targets.dtype.name
        return terms_of(likelihood, logits, targets, *args)

    gin.clear_config()
    gin.parse_config(TINY_MODEL_GIN + "build_model.precision = 'mixed_bfloat16'")
    patch = pytest.MonkeyPatch()
    patch.setattr(distributions, "draw_standard_normal", draw_spy)
    patch.setattr(elbo, "elbo_terms", terms_spy)
    try:
        strategy = distribute.make_strategy("mirrored")
        with strategy.scope():
            model = vrnn_tf.build_model()
            model.compile(optimizer=vrnn_tf.build_optimizer(global_batch_size=4))
        objective = model.objective

        def objective_spy(terms, training=True):
            loss = objective(terms, training)
            seen["loss"] = loss.dtype.name
            return loss

        model.objective = objective_spy
        state = model.trainable_variables + model.optimizer.variables
        initial = replica_values(state)
        videos = np.random.default_rng(0).uniform(size=(4, 4, 16, 16, 1)).astype("float32")
        poisoned = videos.copy()
        poisoned[3, 2, 5, 5, 0] = np.nan  # row 3: the second replica's rows are 2 and 3

        def fit(batch):  # the same shapes: the second call reuses the traced step
            dataset = tf.data.Dataset.from_tensor_slices(batch).batch(4)
            return model.fit(dataset, verbose=0).history

        finite_logs = fit(videos)
        after_finite = replica_values(state)
        nan_logs = fit(poisoned)
        return dict(
            model=model,
            seen=seen,
            initial=initial,
            after_finite=after_finite,
            after_nan=replica_values(state),
            finite_logs=finite_logs,
            nan_logs=nan_logs,
        )
    finally:
        patch.undo()
        gin.clear_config()


def test_mixed_bfloat16_under_mirrored_trains_with_float32_noise_targets_and_loss(
    mirrored_bfloat16_steps,
):
    steps = mirrored_bfloat16_steps
    assert steps["model"].encoder.compute_dtype == "bfloat16"
    assert steps["seen"] == {"noise": {"float32"}, "targets": "float32", "loss": "float32"}
    assert np.isfinite(steps["finite_logs"]["loss"][0])
    assert steps["finite_logs"]["nonfinite_steps"] == [0.0]
    moved = max(
        float(np.abs(after[0] - before[0]).max())
        for before, after in zip(steps["initial"], steps["after_finite"])
    )
    assert moved > 1e-5


def test_a_nan_on_one_replica_skips_the_step_on_both(mirrored_bfloat16_steps):
    steps = mirrored_bfloat16_steps
    assert steps["nan_logs"]["nonfinite_steps"] == [1.0]
    # No weight and no Adam slot moved, on either replica (the counter aside).
    model = steps["model"]
    iterations = len(model.trainable_variables) + model.optimizer.variables.index(
        model.optimizer.iterations
    )
    for index, (before, after) in enumerate(zip(steps["after_finite"], steps["after_nan"])):
        if index == iterations:
            assert [int(a) for a in after] == [2, 2]  # the learning rate follows batches
            continue
        for replica in (0, 1):
            np.testing.assert_array_equal(after[replica], before[replica])
    assert int(model.training_step.numpy()) == 2
