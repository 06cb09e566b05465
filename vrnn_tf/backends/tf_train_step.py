"""The TensorFlow train step: one ELBO update, correct under tf.distribute."""

import functools

import tensorflow as tf

from vrnn_tf.batch_layout import split_batch


def train_step(model, batch):
    """One optimizer step on the negative ELBO of a batch of videos (`batch`: the videos, or
    the dict of videos and actions of an action model, `vrnn_tf.data.inputs`).

    Under `MirroredStrategy` each replica sees `B` of the `B * replicas`
    videos: the loss is divided by the global batch
    (`tf.nn.compute_average_loss`), so the summed gradients equal the
    single-device gradient of the same global batch, and the latent noise is
    this replica's rows of the global batch's noise.

    With `model.replica_jit_compile` the forward and backward pass
    (`loss_and_gradients`) is an XLA program of its own on each replica's device
    (`vrnn_tf.backends.distribute.plan_xla`); what crosses replicas stays outside it:
    the step counter, the finiteness vote, the all-reduce and the update, and so does
    the latent noise.

    The tracked `gradient_norm` is the global L2 norm of the gradient of
    the mean loss over this replica's videos (exact on one device); under
    several replicas it is averaged over replicas rather than taken of the
    all-reduced gradient, which would cost a second all-reduce per step.

    A step whose loss or any gradient is NaN/Inf on any replica is skipped:
    weights, optimizer slots and loss trackers stay as they were, the
    `nonfinite_steps` tracker counts it. The two step counters advance either
    way: `training_step` (batches consumed: the data position and beta follow
    it) and `optimizer.iterations` (the learning rate follows it).

    Returns:
        dict of the trackers' values (loss, neg_elbo, reconstruction, kl_level_*, beta,
        learning_rate, gradient_norm, nonfinite_steps).
    """
    replica = tf.distribute.get_replica_context()
    video, _ = split_batch(batch)
    rows = tf.shape(video)[0]
    # The trackers as they were: a skipped step puts them back.
    tracked = [tf.identity(v) for v in model.metrics_variables]
    noise = model.draw_noise(
        rows,
        video.shape[1],
        replica.replica_id_in_sync_group * rows,
        replica.num_replicas_in_sync * rows,
    )
    compute = functools.partial(loss_and_gradients, model)
    if model.replica_jit_compile:
        compute = tf.function(compute, jit_compile=True)
    mean_loss, gradients = compute(batch, noise, replica.num_replicas_in_sync * rows)
    # Here, not in the objective: a mirrored variable's update synchronises the replicas.
    model.training_step.assign_add(1)
    finite = all_finite(replica, [mean_loss] + gradients)
    _apply_if_finite(model.optimizer, gradients, model.trainable_variables, finite)

    def restore_trackers():
        for variable, value in zip(model.metrics_variables, tracked):
            variable.assign(value)
        return tf.constant(0.0)

    tf.cond(finite, lambda: tf.constant(0.0), restore_trackers)
    # mean_loss divides by the global batch: rescale to this replica's mean.
    gradient_norm = tf.linalg.global_norm(gradients) * replica.num_replicas_in_sync
    model.track_update(
        model.optimizer.learning_rate,
        tf.where(finite, gradient_norm, 0.0),
        tf.cast(finite, tf.float32),
        replica.num_replicas_in_sync,
    )
    return reducible_logs({name: tracker.result() for name, tracker in model.trackers.items()})


def loss_and_gradients(model, batch, noise, global_batch_size):
    """This replica's share of the mean loss over the global batch, and its gradient.

    Writes only this replica's own variables (the ELBO's trackers), so that it can be one
    XLA program per replica. The noise comes from outside: XLA draws other random numbers
    than TensorFlow's kernels, and a run with XLA per replica draws the noise of one
    without.

    Args:
        model: the model.
        batch: this replica's rows of the global batch.
        noise: their latent noise (`model.draw_noise`).
        global_batch_size: int scalar. Rows over all replicas.

    Returns:
        `(mean_loss, gradients)`: float32 scalar (the loss summed over these rows and
        divided by `global_batch_size`) and the list of its gradients, one per
        trainable variable.
    """
    with tf.GradientTape() as tape:
        terms = model(batch, training=True, noise=noise)
        loss = model.objective(terms, training=False)
        mean_loss = tf.nn.compute_average_loss(loss, global_batch_size=global_batch_size)
    return mean_loss, tape.gradient(mean_loss, model.trainable_variables)


def reducible_logs(logs):
    """Scalar logs as `[1]` under multi-worker training, scalars elsewhere.

    Keras reduces a step's per-replica logs across workers with
    `strategy.reduce("MEAN", value, axis=0)`, which fails on scalars; the
    trackers' results are already aggregated over all replicas, so giving
    them a batch axis of one changes nothing but the shape.
    """
    strategy = tf.distribute.get_strategy()
    in_multi_worker_mode = getattr(strategy.extended, "_in_multi_worker_mode", None)
    if in_multi_worker_mode is None or not in_multi_worker_mode():
        return logs
    return {name: tf.reshape(value, [1]) for name, value in logs.items()}


def all_finite(replica, tensors):
    """True when no tensor holds a NaN/Inf on any replica (the same bool on every replica)."""
    bad = tf.add_n(
        [
            tf.reduce_sum(tf.cast(~tf.math.is_finite(t), tf.float32))
            for t in tensors
            if t is not None
        ]
    )
    # Every replica must take the same branch: the update all-reduces gradients.
    return tf.equal(replica.all_reduce(tf.distribute.ReduceOp.SUM, bad), 0.0)


def _apply_if_finite(optimizer, gradients, variables, finite):
    """`optimizer.apply(gradients)` when `finite`; else only `optimizer.iterations` advances.

    A skipped step moves no weight and no slot, but it counts: the learning
    rate schedule reads `optimizer.iterations` and beta `model.training_step`,
    and both must stay on the batches consumed.
    """

    def apply():
        optimizer.apply(gradients, variables)
        return tf.constant(0.0)

    def skip():
        optimizer.iterations.assign_add(1)
        return tf.constant(0.0)

    if tf.__internal__.distribute.strategy_supports_no_merge_call():
        tf.cond(finite, apply, skip)
        return

    # A cond whose branch calls merge_call (as the optimizer's update does)
    # must run in the cross-replica context.
    def cross_replica(strategy, gradients, finite):
        def apply_on_replicas():
            strategy.extended.call_for_each_replica(
                lambda g: optimizer.apply(g, variables), args=(gradients,)
            )
            return tf.constant(0.0)

        # The flag was all-reduced: equal on every replica, take the first.
        finite = strategy.experimental_local_results(finite)[0]
        tf.cond(finite, apply_on_replicas, skip)

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(gradients, finite))
