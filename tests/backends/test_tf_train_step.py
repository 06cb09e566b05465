"""The TF train step under MirroredStrategy equals the single-device step."""

import keras
import numpy as np
import tensorflow as tf

import vrnn_tf
from vrnn_tf import distributions
from vrnn_tf import elbo


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
    with tf.GradientTape() as tape:
        terms = model(
            videos, training=True, batch_offset=batch_offset, global_batch_size=global_batch_size
        )
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
    mirrored, mirrored_logs = train_one_step(
        tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]), initial, videos
    )
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
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
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
